terraform {
  required_providers {
    imageinfo = {
      source = "imageinfo/imageinfo"
    }
  }
}

output "pinned" {
  value = provider::imageinfo::pin("nginx:1.27", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
  # "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

# Pin one platform's image of a multi-arch tag.
data "imageinfo_manifest" "app" {
  reference = "ghcr.io/example/app:1.4.2"
  platform  = "linux/arm64"
}

output "app_arm64" {
  value = provider::imageinfo::pin(data.imageinfo_manifest.app.reference, data.imageinfo_manifest.app.image_digest)
  # "ghcr.io/example/app@sha256:…"
}
