// Package awsapi runs stand-ins for the AWS APIs behind ECR authentication on
// 127.0.0.1, for tests: the ECR and ECR Public GetAuthorizationToken API
// (AWS JSON 1.1), STS AssumeRole (AWS query protocol), and a registry
// middleware that behaves like an ECR registry's Basic challenge.
//
// The stand-ins verify the SigV4 signature of every request by recomputing it
// with the SDK's own signer from known test keys, and answer in AWS's wire
// error formats, so that the real aws-sdk-go-v2 client talks to them exactly
// as it talks to AWS: wrong keys, wrong secrets, expired session tokens and
// missing permissions surface as the smithy.APIError codes AWS would send.
package awsapi
