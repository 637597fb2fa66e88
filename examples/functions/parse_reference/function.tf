terraform {
  required_providers {
    imageinfo = {
      source = "imageinfo/imageinfo"
    }
  }
}

# Normalised as `docker pull` reads it, without any network I/O.
output "nginx" {
  value = provider::imageinfo::parse_reference("nginx:1.27")
  # {
  #   registry   = "docker.io"
  #   repository = "library/nginx"
  #   tag        = "1.27"
  #   digest     = null
  #   name       = "docker.io/library/nginx"
  # }
}

# For example, to group images by registry for a pull-through cache.
locals {
  images = ["nginx:1.27", "ghcr.io/example/app:1.4.2", "quay.io/prometheus/prometheus:v2.53.0"]
  registries = distinct([
    for i in local.images : provider::imageinfo::parse_reference(i).registry
  ]) # ["docker.io", "ghcr.io", "quay.io"]
}
