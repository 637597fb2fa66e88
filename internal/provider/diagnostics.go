package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// registryDiagnostic turns a registry failure into a diagnostic whose summary
// names the failure class and whose detail names the registry and repository
// and says what to do. The registry package never puts credentials into its
// errors, so the underlying error text is safe to show.
func registryDiagnostic(err error) diag.Diagnostic {
	var e *registry.Error
	if !errors.As(err, &e) {
		return diag.NewErrorDiagnostic("Registry Request Failed", fmt.Sprintf("The request failed: %s.", err))
	}
	var summary, advice string
	switch e.Class {
	case registry.ClassNotFound:
		summary = "Image Not Found"
		advice = "Check the spelling of the reference and that the tag or digest exists. Some registries also answer " +
			"\"not found\" for a private repository that the credentials in use cannot see."
	case registry.ClassUnauthorized:
		summary = "Registry Authentication Failed"
		if msg, ok := ecr.ExplainChallenge(e.Registry, e.ChallengeScheme, e.ChallengeParams, e.Username(), e.CredentialKind == auth.KindECR); ok {
			advice = msg
			break
		}
		switch e.CredentialKind {
		case auth.KindAnonymous:
			advice = fmt.Sprintf("No credentials were configured for %q, and the registry requires them for this repository. "+
				"Add a registry block for %q with username and password (or token).", e.Registry, e.Registry)
		case auth.KindECR:
			advice = fmt.Sprintf("The registry refused the password from %s, even after fetching a new one. Check that the AWS "+
				"credentials belong to the account that owns the registry or have cross-account access to the repository "+
				"(ecr:BatchGetImage, ecr:GetDownloadUrlForLayer).", e.CredentialSource)
		default:
			advice = "The registry refused the credentials. Check them, and that they have not expired or been revoked."
			if e.CredentialSource != "" {
				advice = fmt.Sprintf("The registry refused the %s. Check them, and that they have not expired or been revoked.", e.CredentialSource)
			}
		}
	case registry.ClassCredentials:
		summary = "Registry Credentials Unavailable"
		advice = fmt.Sprintf("The credentials for %q could not be obtained (%s), so the registry was not asked.", e.Registry, e.CredentialSource)
	case registry.ClassDenied:
		summary = "Registry Access Denied"
		advice = "The credentials were accepted but may not pull this repository. Grant them pull (read) access to it, " +
			"or use credentials that have it."
	case registry.ClassRateLimited:
		summary = "Registry Rate Limit Reached"
		advice = "The registry is limiting requests. Wait and try again"
		if e.RetryAfter > 0 {
			advice += fmt.Sprintf(" (it asked for %s)", e.RetryAfter)
		}
		advice += "; authenticated requests usually get a higher limit. Raise max_retries to wait for it automatically within timeout."
	case registry.ClassNetwork:
		summary = "Registry Unreachable"
		advice = "Check the address and port, DNS, proxy settings (HTTPS_PROXY, NO_PROXY) and firewalls. A registry that " +
			"serves plain HTTP needs insecure = true in its registry block."
	case registry.ClassTimeout:
		summary = "Registry Request Timed Out"
		advice = "The registry did not answer within the provider's timeout. Check that it is reachable, or raise timeout " +
			"in the provider configuration."
	case registry.ClassTLS:
		summary = "Registry TLS Error"
		advice = "The registry's TLS certificate could not be verified or the TLS handshake failed. For a private CA, set " +
			"ca_cert_pem in its registry block; for a registry that requires a client certificate, client_cert_pem and " +
			"client_key_pem; for a registry that serves plain HTTP, insecure = true."
	case registry.ClassDigestMismatch:
		summary = "Manifest Digest Mismatch"
		advice = "The content served does not match its digest, so it was not used. A proxy or cache between you and the " +
			"registry may be altering responses, or the registry is misbehaving; report it to the registry's operator."
	case registry.ClassNoMatchingPlatform:
		summary = "No Matching Platform"
		advice = "Set platform to one the image offers, or remove it to describe the index itself."
	case registry.ClassUnsupported:
		summary = "Unsupported Manifest"
		advice = ""
	case registry.ClassMalformed:
		summary = "Malformed Registry Response"
		advice = "The registry's answer is not a valid OCI distribution response. Check that the address points at a " +
			"container registry and not at a web page or proxy."
	default:
		summary = "Registry Request Failed"
	}
	detail := failure("Reading", e)
	if advice != "" {
		detail += "\n\n" + advice
	}
	return diag.NewErrorDiagnostic(summary, detail)
}

func identifierKind(id string) string {
	if strings.Contains(id, ":") {
		return "digest"
	}
	return "tag"
}

// location names what was read: `registry "r", repository "p", tag "t"`.
func location(e *registry.Error) string {
	where := fmt.Sprintf("registry %q, repository %q", e.Registry, e.Repository)
	if e.Identifier != "" {
		where += fmt.Sprintf(", %s %q", identifierKind(e.Identifier), e.Identifier)
	}
	return where
}

// cause is the error's own text, without a trailing period.
func cause(e *registry.Error) string { return strings.TrimRight(e.Err.Error(), " \n.") }

// failure says what failed, where and why, with the registry's status and
// codes: `<verb> registry "r", repository "p" failed: <cause>. (HTTP 404
// NAME_UNKNOWN)`.
func failure(verb string, e *registry.Error) string {
	s := fmt.Sprintf("%s %s failed: %s.", verb, location(e), cause(e))
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.StatusCode)
		if len(e.Codes) > 0 {
			s += " " + strings.Join(e.Codes, ", ")
		}
		s += ")"
	}
	return s
}
