# Signed in GitHub Actions with `cosign sign` (keyless): the read fails
# unless a signature of the digest verifies for this workflow, so the plan
# cannot pin an unsigned or foreign image.
data "imageinfo_signature" "app" {
  reference = "ghcr.io/example/app:1.4.2"

  keyless {
    identity_regex    = "^https://github\\.com/example/app/\\.github/workflows/release\\.yml@refs/tags/v"
    issuer            = "https://token.actions.githubusercontent.com"
    trusted_root_json = file("${path.module}/trusted_root.json")
  }
}

# Deploy exactly the verified digest.
resource "kubernetes_deployment_v1" "app" {
  metadata {
    name = "app"
  }
  spec {
    selector {
      match_labels = { app = "app" }
    }
    template {
      metadata {
        labels = { app = "app" }
      }
      spec {
        container {
          name  = "app"
          image = data.imageinfo_signature.app.pinned_reference # ghcr.io/example/app@sha256:…
        }
      }
    }
  }
}

# Signed with `cosign sign --key cosign.key`: any of the keys may have signed.
data "imageinfo_signature" "worker" {
  reference   = "registry.example.com/team/worker:2.0"
  public_keys = [file("${path.module}/cosign.pub")]
}

# A check block reports an image that is not signed as required without
# stopping the plan: here, that the key signature was also logged in Rekor.
check "worker_logged" {
  data "imageinfo_signature" "worker_logged" {
    reference         = "registry.example.com/team/worker:2.0"
    public_keys       = [file("${path.module}/cosign.pub")]
    trusted_root_json = file("${path.module}/trusted_root.json")
    require_tlog      = true
  }

  assert {
    condition     = data.imageinfo_signature.worker_logged.signatures[0].integrated_time != null
    error_message = "registry.example.com/team/worker:2.0 has no verified transparency log entry."
  }
}
