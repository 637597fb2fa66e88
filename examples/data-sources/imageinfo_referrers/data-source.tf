# Everything attached to an image as an OCI 1.1 referrer: signatures,
# SBOMs, provenance. Read from the registry's referrers API, or from the
# sha256-<hex> fallback tag where the registry has none (Docker Hub, GHCR).
data "imageinfo_referrers" "app" {
  reference = "ghcr.io/example/app:1.4.2"
}

output "app_attachments" {
  value = { for r in data.imageinfo_referrers.app.referrers : r.digest => r.artifact_type }
}

# Only the SBOMs, e.g. to fail a plan for an image shipped without one.
data "imageinfo_referrers" "sbom" {
  reference     = "ghcr.io/example/app:1.4.2"
  artifact_type = "application/spdx+json"
}

check "app_has_sbom" {
  assert {
    condition     = length(data.imageinfo_referrers.sbom.referrers) > 0
    error_message = "ghcr.io/example/app:1.4.2 has no SPDX SBOM attached."
  }
}
