# The newest release: tags that are versions satisfying the constraint,
# highest last. Tags such as "latest" or "sha-4f2a9c1" are left out.
data "imageinfo_tags" "app" {
  repository = "ghcr.io/example/app"
  semver     = ">= 1.0, < 2"
  sort       = "semver"
}

# Pin it: the tag names the release, the digest is what runs.
data "imageinfo_manifest" "app" {
  reference = "ghcr.io/example/app:${data.imageinfo_tags.app.latest}"
}

output "app_latest" {
  value = data.imageinfo_tags.app.latest # e.g. "1.14.2"
}

output "app_pinned" {
  value = data.imageinfo_manifest.app.pinned_reference
}

# Only tags of one form, by regular expression (RE2, anchored here), and
# every release of a minor version.
data "imageinfo_tags" "nginx_127" {
  repository = "nginx"
  match      = "^\\d+\\.\\d+\\.\\d+$"
  semver     = "~1.27"
  sort       = "semver"
}

output "nginx_127_releases" {
  value = data.imageinfo_tags.nginx_127.tags # ["1.27.0", "1.27.1", …]
}
