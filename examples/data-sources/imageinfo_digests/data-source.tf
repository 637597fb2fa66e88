# Pin every image of a Helm release at once: one HEAD request per image, and
# no Docker Hub pull spent. Keys are yours: here, the chart values that take
# an image reference.
data "imageinfo_digests" "app" {
  references = {
    "image"                  = "ghcr.io/example/app:2.3.1"
    "worker.image"           = "ghcr.io/example/worker:2.3.1"
    "metrics.exporter.image" = "prom/statsd-exporter:v0.28.0"
    "proxy.image"            = "nginx:1.27"
  }
}

# hashicorp/helm 3.x: each value is the pinned reference,
# e.g. docker.io/library/nginx@sha256:…, so the release runs exactly the
# images planned, and a tag that moves shows up as a change in the plan.
resource "helm_release" "app" {
  name      = "app"
  chart     = "./charts/app"
  namespace = "app"

  set = [
    for key, pinned in data.imageinfo_digests.app.pinned : {
      name  = key
      value = pinned
    }
  ]
}

# Charts that take the repository and the digest apart (Bitnami's
# image.registry, image.repository and image.digest) read them from images.
resource "helm_release" "cache" {
  name      = "cache"
  chart     = "oci://registry-1.docker.io/bitnamicharts/redis"
  namespace = "app"

  set = [
    { name = "image.registry", value = data.imageinfo_digests.redis.images["redis"].registry },
    { name = "image.repository", value = data.imageinfo_digests.redis.images["redis"].repository },
    { name = "image.digest", value = data.imageinfo_digests.redis.images["redis"].digest },
  ]
}

# With platform, image_digest is the image a multi-platform tag offers for
# that platform (the index is read, from the cache when it is there).
data "imageinfo_digests" "redis" {
  references = { redis = "bitnami/redis:7.4" }
  platform   = "linux/arm64"
}

output "redis_arm64" {
  value = data.imageinfo_digests.redis.images["redis"].image_digest
}
