# Resolve a tag to the digest it points to now.
data "imageinfo_manifest" "nginx" {
  reference = "nginx:1.27"
}

# Deploy exactly what was planned: the digest, not the tag.
output "nginx_pinned" {
  value = data.imageinfo_manifest.nginx.pinned_reference # docker.io/library/nginx@sha256:…
}

# The manifest itself, for anything the attributes do not cover.
output "nginx_schema" {
  value = jsondecode(data.imageinfo_manifest.nginx.manifest_json).schemaVersion
}

# A reference by digest is checked against the registry: it fails if the
# content is gone, and reports what it is.
data "imageinfo_manifest" "app" {
  reference = "ghcr.io/example/app@sha256:9f1a8e3e4a1d5c0b7e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
}
