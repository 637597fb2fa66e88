# Resolve a tag to the digest it points to now.
data "imageinfo_manifest" "nginx" {
  reference = "nginx:1.27"
}

# Deploy exactly what was planned: the digest, not the tag. For a multi-arch
# tag the digest is the index's, so every platform still gets its own image,
# and a tag that moves shows up as a change in the plan.
output "nginx_pinned" {
  value = data.imageinfo_manifest.nginx.pinned_reference # docker.io/library/nginx@sha256:…
}

# The platforms a multi-arch tag offers, attestation entries left out.
output "nginx_platforms" {
  value = [
    for m in data.imageinfo_manifest.nginx.manifests :
    join("/", compact([m.platform.os, m.platform.architecture, m.platform.variant]))
    if m.platform.os != "unknown"
  ]
}

# The manifest itself, for anything the attributes do not cover.
output "nginx_schema" {
  value = jsondecode(data.imageinfo_manifest.nginx.manifest_json).schemaVersion
}

# One platform's image, for runtimes that must get exactly one: an arm64
# (Graviton) Lambda function, or an ECS task whose image must not be an
# index. `image_digest` is the chosen image; `digest` stays the index's.
data "imageinfo_manifest" "worker_arm64" {
  reference = "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:1.4.2"
  platform  = "linux/arm64"
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.worker.arn
  package_type  = "Image"
  architectures = ["arm64"]
  image_uri = provider::imageinfo::pin(
    data.imageinfo_manifest.worker_arm64.reference,
    data.imageinfo_manifest.worker_arm64.image_digest,
  ) # 123456789012.dkr.ecr.us-east-1.amazonaws.com/worker@sha256:…
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }
  container_definitions = jsonencode([{
    name      = "worker"
    image     = "${data.imageinfo_manifest.worker_arm64.registry}/${data.imageinfo_manifest.worker_arm64.repository}@${data.imageinfo_manifest.worker_arm64.image_digest}"
    essential = true
  }])
}

# Warn at plan time when a tag has moved away from the digest in use. A
# failing check is a warning: the plan goes on.
variable "api_digest" {
  description = "The digest of ghcr.io/example/api:stable that is deployed."
  type        = string
}

check "api_stable_not_moved" {
  data "imageinfo_manifest" "api_stable" {
    reference = "ghcr.io/example/api:stable"
  }

  assert {
    condition     = data.imageinfo_manifest.api_stable.digest == var.api_digest
    error_message = "ghcr.io/example/api:stable now points to ${data.imageinfo_manifest.api_stable.digest}, not the deployed ${var.api_digest}: update api_digest to roll out the new image."
  }
}

# Read labels from an image's config, e.g. the commit it was built from.
# Labels belong to a single image: for a multi-arch tag, choose a platform.
data "imageinfo_manifest" "api" {
  reference = "ghcr.io/example/api:1.8.0"
  platform  = "linux/amd64"
}

output "api_revision" {
  value = lookup(data.imageinfo_manifest.api.labels, "org.opencontainers.image.revision", null)
}

output "api_built" {
  value = data.imageinfo_manifest.api.created # e.g. 2024-05-01T12:30:00Z
}

# A reference by digest is checked against the registry: it fails if the
# content is gone, and reports what it is.
data "imageinfo_manifest" "app" {
  reference = "ghcr.io/example/app@sha256:9f1a8e3e4a1d5c0b7e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
}
