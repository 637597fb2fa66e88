package provider

// What to do about ECR: the advice for a registry that refused credentials
// with ECR's challenge, for a failed GetAuthorizationToken, for a first pull
// through a pull-through cache rule, and for an ecr block that cannot work. The ecr package reports the facts (the challenge,
// the AWS operation and code, the setting at fault); the sentences, and the
// HCL shown to the user, are written here.

import (
	"fmt"
	"strings"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

// ecrChallengeAdvice returns advice for a registry that refused a request with
// 401 or 403, given its challenge (scheme and parameters: ECR's Basic one, or
// ECR Public's Bearer one), the username that was sent ("" for none) and
// whether an ecr block is configured for it. It answers only
// when the refusal is ECR's and ECR credentials were not in use: then no
// username and password can work, and the fix is the ecr block. A username
// that looks like an AWS access key id on an ECR host gets the same advice
// even if the challenge is not recognisable. ok is false when there is
// nothing ECR-specific to say.
func ecrChallengeAdvice(host, scheme string, params map[string]string, username string, ecrConfigured bool) (msg string, ok bool) {
	if ecrConfigured {
		return "", false
	}
	h, isECRHost := ecr.ParseHost(host)
	public := ecr.IsPublic(host) || ecr.IsPublicChallenge(scheme, params)
	awsKey := ecr.LooksLikeAccessKeyID(username)
	keysForECR := awsKey && (isECRHost || ecr.IsPublic(host))
	if !ecr.IsChallenge(scheme, params) && !ecr.IsPublicChallenge(scheme, params) && !keysForECR {
		return "", false
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s is an Amazon ECR registry: it accepts only a password from the ECR API "+
		"(GetAuthorizationToken), never a fixed username and password", host)
	if awsKey {
		b.WriteString(", and AWS access keys given as username and password are always refused")
	}
	b.WriteString(". Remove username and password for this registry (and any Docker config entry for it) and " +
		"configure it with an ecr block, which calls GetAuthorizationToken with AWS credentials:\n\n")
	fmt.Fprintf(&b, "  registry {\n    address = %q\n    ecr {\n", host)
	switch {
	case isECRHost:
		fmt.Fprintf(&b, "      # region (%s) and registry_id (%s) default to the ones in the address\n", h.Region, h.RegistryID)
	case public:
		b.WriteString("      # ECR Public: the token comes from ecr-public in us-east-1\n")
	default:
		b.WriteString("      region      = \"<region>\"\n      registry_id = \"<12-digit account id>\"\n")
	}
	b.WriteString("      profile     = \"<profile>\" # or role_arn (with external_id), or access_key and secret_key;\n" +
		"                                # with none of them, the default AWS credential chain is used\n" +
		"    }\n  }")
	return b.String(), true
}

// ecrNoCredentialsAdvice lists every way the provider can be given AWS
// credentials, because "no credentials" is only actionable with the options
// in front of you.
const ecrNoCredentialsAdvice = "no AWS credentials were found. Give them in the registry's ecr block " +
	"(access_key and secret_key, profile, or role_arn), or to the AWS default chain: the environment " +
	"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN; or AWS_PROFILE), " +
	"the shared files ~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), " +
	"IAM Identity Center (aws sso login), web identity (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), " +
	"or an ECS/EKS container role or EC2 instance role"

// ecrCredentialAdvice says what to change for the GetAuthorizationToken (or
// AssumeRole) failures users actually hit; it is keyed on the code because
// AWS's messages alone do not say it. "" when there is nothing specific.
func ecrCredentialAdvice(e *ecr.Error) string {
	switch e.Code {
	case ecr.CodeNoCredentials:
		return ecrNoCredentialsAdvice
	case "AccessDeniedException", "AccessDenied":
		if e.Op == "AssumeRole" {
			return "the credentials must be allowed sts:AssumeRole on the role, and the role's trust policy " +
				"must trust them (with the external_id it requires, if any)"
		}
		if e.Public {
			return "the credentials need the IAM permissions ecr-public:GetAuthorizationToken and " +
				"sts:GetServiceBearerToken (on \"*\")"
		}
		return "the credentials need the IAM permission ecr:GetAuthorizationToken (on resource \"*\"), " +
			"and ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository"
	case "UnrecognizedClientException", "InvalidClientTokenId":
		return "AWS does not know this access key id or session token: check access_key and session_token, " +
			"the profile, or AWS_ACCESS_KEY_ID and AWS_SESSION_TOKEN (keys of one partition, e.g. aws-cn, " +
			"do not work in another)"
	case "InvalidSignatureException", "SignatureDoesNotMatch":
		return "the secret access key does not belong to the access key id: check secret_key, the profile, " +
			"or AWS_SECRET_ACCESS_KEY"
	case "ExpiredTokenException", "ExpiredToken":
		return "the temporary credentials have expired: refresh them (for IAM Identity Center, run aws sso login)"
	case ecr.CodeInvalidConfig:
		return "fix the AWS configuration, or name an existing profile"
	}
	return ""
}

// ecrConfigAdvice is the detail of an "Invalid ECR Configuration" error: what
// is wrong with the ecr block, and what to change.
func ecrConfigAdvice(err error) string {
	ce, ok := err.(*ecr.ConfigError)
	if !ok {
		return validators.Capitalize(strings.TrimPrefix(err.Error(), "ecr: ")) + "."
	}
	var fix string
	switch ce.Fix {
	case ecr.FixSet:
		fix = fmt.Sprintf("Set %s in the ecr block.", ce.Setting)
		if ce.Setting == "region" {
			fix = "Set region (and registry_id) in the ecr block."
		}
	case ecr.FixGiveTogether:
		fix = "Give access_key and secret_key together (with session_token for temporary keys), or none of them."
	case ecr.FixRemove:
		fix = fmt.Sprintf("Remove %s.", ce.Setting)
	case ecr.FixRemoveOrCorrect:
		fix = fmt.Sprintf("Remove %s (it defaults to the one in the address) or correct it.", ce.Setting)
	case ecr.FixHostOnly:
		fix = fmt.Sprintf("Give the registry host only, e.g. %q.", ce.Value)
	}
	return validators.Capitalize(ce.Problem) + ". " + fix
}

// ecrPullThroughAdvice explains a not-found or denied answer of an ECR
// registry in terms of pull-through cache rules, when the repository is
// under one of their usual prefixes or the registry's message is about one:
// the first pull of an image through a rule imports it, and creates its
// repository, which pull access alone does not allow. ok is false when
// there is nothing pull-through-specific to say.
func ecrPullThroughAdvice(e *registry.Error) (msg string, ok bool) {
	h, isECR := ecr.ParseHost(e.Registry)
	if !isECR || (e.Class != registry.ClassNotFound && e.Class != registry.ClassDenied) {
		return "", false
	}
	prefix, byPrefix := ecr.PullThroughPrefix(e.Repository)
	permission, saidSo := "", false
	for _, m := range e.Messages {
		if ecr.MentionsPullThrough(m) {
			saidSo = true
			if p := ecr.MissingPermission(m); p != "" {
				permission = p
			}
		}
	}
	if !byPrefix && !saidSo {
		return "", false
	}
	var b strings.Builder
	switch {
	case permission != "":
		fmt.Fprintf(&b, "The registry says the credentials lack %s, which a pull through an ECR pull-through cache rule needs. ", permission)
	case byPrefix:
		fmt.Fprintf(&b, "%q is under %q, the usual prefix of an ECR pull-through cache rule. ", e.Repository, prefix+"/")
	default:
		b.WriteString("The registry's answer is about an ECR pull-through cache rule. ")
	}
	b.WriteString("The first pull of an image through such a rule imports it from the upstream registry, so besides " +
		"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer the credentials need ecr:BatchImportUpstreamImage, and " +
		"ecr:CreateRepository while the repository does not exist yet (in an IAM policy or the registry's permissions policy). ")
	if byPrefix {
		fmt.Fprintf(&b, "Check also that registry %s has a pull-through cache rule for the prefix %q in %s, ", h.RegistryID, prefix, h.Region)
	} else {
		fmt.Fprintf(&b, "Check also the pull-through cache rule of registry %s in %s, ", h.RegistryID, h.Region)
	}
	b.WriteString("that its upstream credentials (a Secrets Manager secret, for upstreams that require one) are valid, and " +
		"that the image exists upstream under that name.")
	return b.String(), true
}
