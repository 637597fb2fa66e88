provider "imageinfo" {
  # Same account: region and registry_id come from the address, credentials
  # from the default AWS chain (environment, AWS_PROFILE, SSO, instance role).
  registry {
    address = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    ecr {}
  }

  # Another account's registry, through a role that account trusts.
  registry {
    address = "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
    ecr {
      role_arn    = "arn:aws:iam::210987654321:role/image-reader"
      external_id = var.image_reader_external_id
    }
  }
}

variable "image_reader_external_id" {
  type = string
}

# An image in a pull-through cache repository (prefix "docker-hub").
data "imageinfo_manifest" "nginx" {
  reference = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27"
}

# ECR Public needs no configuration: anonymous pulls work.
data "imageinfo_manifest" "amazonlinux" {
  reference = "public.ecr.aws/amazonlinux/amazonlinux:2023"
}

output "nginx" {
  value = data.imageinfo_manifest.nginx.pinned_reference
}
