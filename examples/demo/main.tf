# The configuration `make demo` applies against a registry it starts on
# 127.0.0.1 with token authentication (the Docker token spec).
terraform {
  required_providers {
    imageinfo = {
      source = "imageinfo/imageinfo"
    }
  }
}

variable "registry" {
  description = "host:port of the demo registry"
  type        = string
}

variable "username" {
  type = string
}

variable "password" {
  type      = string
  sensitive = true
}

provider "imageinfo" {
  registry {
    address  = var.registry
    username = var.username
    password = var.password
  }
}

# A multi-platform tag: the digest is the index's.
data "imageinfo_manifest" "web" {
  reference = "${var.registry}/demo/web:1.0"
}

# A Docker schema 2 image in a private repository.
data "imageinfo_manifest" "api" {
  reference = "${var.registry}/demo/api:2.3"
}

# A public repository: no credentials needed, though the provider has them.
data "imageinfo_manifest" "tools" {
  reference = "${var.registry}/public/tools"
}

output "pinned" {
  description = "What to deploy: each reference pinned to the digest it resolved to."
  value = {
    web   = data.imageinfo_manifest.web.pinned_reference
    api   = data.imageinfo_manifest.api.pinned_reference
    tools = data.imageinfo_manifest.tools.pinned_reference
  }
}

output "media_types" {
  value = {
    web   = data.imageinfo_manifest.web.media_type
    api   = data.imageinfo_manifest.api.media_type
    tools = data.imageinfo_manifest.tools.media_type
  }
}
