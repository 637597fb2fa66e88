// Package ecr turns AWS credentials into registry credentials for Amazon ECR
// and ECR Public.
//
// An ECR registry answers 401 with a Basic challenge and accepts no fixed
// username and password: the password comes from the ECR API call
// GetAuthorizationToken (base64 "AWS:<password>", valid 12 hours). This
// package recognises ECR hostnames (ParseHost, IsPublic), obtains and caches
// those passwords through aws-sdk-go-v2 (Source, Cache), classifies AWS
// failures into errors that carry the facts (Error: operation, region,
// registry id, AWS code), and recognises ECR's challenge (IsChallenge) and
// the usual misconfiguration of giving AWS access keys as a registry
// username and password (LooksLikeAccessKeyID).
//
// It knows nothing about Terraform and gives no advice: the provider
// translates its ecr block into a Config, and Errors and ConfigErrors into
// diagnostics that say what to do.
package ecr
