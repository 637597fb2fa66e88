# Public images need no configuration at all.
provider "imageinfo" {}

# Credentials and connection settings per registry.
provider "imageinfo" {
  alias       = "private"
  timeout     = "2m"
  max_retries = 5

  # Docker Hub: a personal access token as the password avoids the anonymous pull limit.
  registry {
    address  = "docker.io"
    username = var.dockerhub_username
    password = var.dockerhub_token
  }

  # GitHub Container Registry: a personal access token (classic) with read:packages.
  registry {
    address  = "ghcr.io"
    username = var.github_user
    password = var.github_token
  }

  # A registry with a private CA.
  registry {
    address     = "registry.example.com:5000"
    username    = "robot$ci"
    password    = var.harbor_robot_secret
    ca_cert_pem = file("${path.module}/ca.pem")
  }

  # A development registry over plain HTTP, read anonymously.
  registry {
    address  = "dev-registry.internal:5000"
    insecure = true
  }
}

variable "dockerhub_username" { type = string }
variable "dockerhub_token" {
  type      = string
  sensitive = true
}
variable "github_user" { type = string }
variable "github_token" {
  type      = string
  sensitive = true
}
variable "harbor_robot_secret" {
  type      = string
  sensitive = true
}
