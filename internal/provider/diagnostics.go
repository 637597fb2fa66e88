package provider

// Every sentence this provider says to a user about a failure is written in
// this file or in ecr_advice.go: the packages below return facts (typed
// errors: registry.Error, registry.PlatformError, registry.UnsupportedError,
// auth.CredentialError, ecr.Error, ecr.ConfigError), and only here do they
// become advice in the terms of the provider's own settings.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

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
	summary, advice := classAdvice(e)
	detail := failure("Reading", e)
	if advice != "" {
		detail += "\n\n" + advice
	}
	return diag.NewErrorDiagnostic(summary, detail)
}

// classAdvice gives the summary of a failure class and what to do about it.
func classAdvice(e *registry.Error) (summary, advice string) {
	switch e.Class {
	case registry.ClassNotFound:
		return "Image Not Found", "Check the spelling of the reference and that the tag or digest exists. Some registries also answer " +
			"\"not found\" for a private repository that the credentials in use cannot see."
	case registry.ClassUnauthorized:
		return "Registry Authentication Failed", unauthorizedAdvice(e)
	case registry.ClassCredentials:
		return "Registry Credentials Unavailable", credentialsAdvice(e)
	case registry.ClassDenied:
		return "Registry Access Denied", "The credentials were accepted but may not pull this repository. Grant them pull (read) access to it, " +
			"or use credentials that have it."
	case registry.ClassRateLimited:
		advice := "The registry is limiting requests. Wait and try again"
		if e.RetryAfter > 0 {
			advice += fmt.Sprintf(" (it asked for %s)", e.RetryAfter)
		}
		return "Registry Rate Limit Reached", advice + "; authenticated requests usually get a higher limit. Raise max_retries to wait for it automatically within timeout."
	case registry.ClassNetwork:
		return "Registry Unreachable", "Check the address and port, DNS, proxy settings (HTTPS_PROXY, NO_PROXY) and firewalls. A registry that " +
			"serves plain HTTP needs insecure = true in its registry block."
	case registry.ClassTimeout:
		return "Registry Request Timed Out", "The registry did not answer within the provider's timeout. Check that it is reachable, or raise timeout " +
			"in the provider configuration."
	case registry.ClassTLS:
		return "Registry TLS Error", "The registry's TLS certificate could not be verified or the TLS handshake failed. For a private CA, set " +
			"ca_cert_pem in its registry block; for a registry that requires a client certificate, client_cert_pem and " +
			"client_key_pem; for a registry that serves plain HTTP, insecure = true."
	case registry.ClassDigestMismatch:
		return "Manifest Digest Mismatch", "The content served does not match its digest, so it was not used. A proxy or cache between you and the " +
			"registry may be altering responses, or the registry is misbehaving; report it to the registry's operator."
	case registry.ClassUnsupported:
		return "Unsupported Manifest", unsupportedAdvice(e)
	case registry.ClassMalformed:
		return "Malformed Registry Response", "The registry's answer is not a valid OCI distribution response. Check that the address points at a " +
			"container registry and not at a web page or proxy."
	}
	return "Registry Request Failed", "If the failure persists, check the registry's status, and report it with this message if the registry " +
		"works with docker pull."
}

func unauthorizedAdvice(e *registry.Error) string {
	var scheme string
	var params map[string]string
	if e.Challenge != nil {
		scheme, params = e.Challenge.Scheme, e.Challenge.Parameters
	}
	if msg, ok := ecrChallengeAdvice(e.Registry, scheme, params, e.Credentials.Username, e.Credentials.Kind == auth.KindECR); ok {
		return msg
	}
	switch e.Credentials.Kind {
	case auth.KindAnonymous:
		return fmt.Sprintf("No credentials were configured for %q, and the registry requires them for this repository. "+
			"Add a registry block for %q with username and password (or token).", e.Registry, e.Registry)
	case auth.KindECR:
		return fmt.Sprintf("The registry refused the password from %s, even after fetching a new one. Check that the AWS "+
			"credentials belong to the account that owns the registry or have cross-account access to the repository "+
			"(ecr:BatchGetImage, ecr:GetDownloadUrlForLayer).", e.Credentials.Source)
	}
	if e.Credentials.Source != "" {
		return fmt.Sprintf("The registry refused the %s. Check them, and that they have not expired or been revoked.", e.Credentials.Source)
	}
	return "The registry refused the credentials. Check them, and that they have not expired or been revoked."
}

func credentialsAdvice(e *registry.Error) string {
	var ecrErr *ecr.Error
	if errors.As(e, &ecrErr) {
		if advice := ecrCredentialAdvice(ecrErr); advice != "" {
			return fmt.Sprintf("The ECR password for %q could not be obtained, so the registry was not asked: %s.", e.Registry, advice)
		}
	}
	source := e.Credentials.Source
	var ce *auth.CredentialError
	if errors.As(e, &ce) {
		source = ce.Source
	}
	return fmt.Sprintf("The credentials for %q could not be obtained (%s), so the registry was not asked. Check that source: a "+
		"credential helper must be installed and on PATH, and a config file must parse.", e.Registry, source)
}

func unsupportedAdvice(e *registry.Error) string {
	var ue *registry.UnsupportedError
	if errors.As(e, &ue) && ue.Schema1 {
		return "Push the image again with a current Docker, buildah or crane to get a schema 2 or OCI manifest."
	}
	return "This provider reads OCI and Docker schema 2 images and indexes, and OCI artifacts built on the image manifest. " +
		"Refer to one of those, for example to the image the artifact belongs to."
}

// manifestDiagnostic is registryDiagnostic, except that a platform the image
// does not offer is an error on the platform attribute that says what the
// image offers and what to change.
func manifestDiagnostic(err error) diag.Diagnostic {
	var e *registry.Error
	var pe *registry.PlatformError
	if !errors.As(err, &e) || !errors.As(err, &pe) {
		return registryDiagnostic(err)
	}
	advice := "Set platform to one the image offers, or remove it to describe the index itself."
	switch {
	case pe.Index:
	case pe.Artifact != "":
		advice = "Remove platform: an artifact has no platform."
	case pe.ImagePlatform == "":
		advice = "Remove platform, or refer to a multi-platform tag."
	default:
		advice = fmt.Sprintf("Remove platform, or refer to a multi-platform tag or to an image for %s.", pe.Want)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("platform"), "No Matching Platform",
		fmt.Sprintf("Reading %s: %s.", location(e), cause(e))+"\n\n"+advice)
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

// rateLimitWarnings warns about the pull limits a read found nearly used up:
// once per registry and plan, on the first read that saw it.
func rateLimitWarnings(w *registry.RateLimitWatch) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, r := range w.Low() {
		window := "a window it did not state"
		if r.Window > 0 {
			// 6h rather than 6h0m0s.
			window = "a window of " + strings.TrimSuffix(strings.TrimSuffix(r.Window.String(), "0s"), "0m")
		}
		diags.AddWarning("Registry Pull Limit Nearly Reached",
			fmt.Sprintf("Registry %q says %d of its %d pulls are left, in %s (ratelimit-limit %q). It counts every manifest "+
				"GET as a pull; HEAD requests are free.\n\nThis provider GETs a manifest only when its content is not in "+
				"cache_dir: keep cache_dir between runs (in CI, restore it from a cache keyed on the configuration) so that "+
				"plans spend no pulls, use imageinfo_digests where only digests are needed, or give credentials for %q, "+
				"which usually raise the limit.", r.Registry, r.Remaining, r.Limit, window, r.Policy, r.Registry))
	}
	return diags
}

// keyedDiagnostic is manifestDiagnostic for one key of a data source that
// reads many references: the same summary and advice, with a detail that
// starts with the key, the reference and the failure class, and no attribute
// path (a map from a variable would show no key there).
func keyedDiagnostic(key, reference string, err error) diag.Diagnostic {
	d := manifestDiagnostic(err)
	class := "failed"
	var e *registry.Error
	if errors.As(err, &e) {
		class = e.Class.String()
	}
	return diag.NewErrorDiagnostic(d.Summary(),
		fmt.Sprintf("Key %q, reference %q: %s.\n\n%s", key, reference, class, d.Detail()))
}
