// Package ecr turns AWS credentials into registry credentials for Amazon ECR
// and ECR Public.
//
// An ECR registry answers 401 with a Basic challenge and accepts no fixed
// username and password: the password comes from the ECR API call
// GetAuthorizationToken (base64 "AWS:<password>", valid 12 hours). This
// package recognises ECR hostnames (ParseHost, IsPublic), obtains and caches
// those passwords through aws-sdk-go-v2 (Source, Cache), classifies AWS
// failures into errors that say what to fix (Error), and explains the usual
// misconfiguration of giving AWS access keys as a registry username and
// password (ExplainChallenge).
//
// It knows nothing about Terraform: the provider translates its ecr block
// into a Config and Errors into diagnostics.
package ecr
