package provider

// Every sentence this provider says to a user about a failure is written in
// this file or in ecr_advice.go: the packages below return facts (typed
// errors: registry.Error, registry.PlatformError, registry.UnsupportedError,
// auth.CredentialError, ecr.Error, ecr.ConfigError), and only here do they
// become advice in the terms of the provider's own settings.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
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

// classAdvice gives the summary of a failure class and what to do about it,
// and says so when plain HTTP was not tried.
func classAdvice(e *registry.Error) (summary, advice string) {
	summary, advice = adviceFor(e)
	if msg, ok := ecrPullThroughAdvice(e); ok {
		advice += " " + msg
	}
	if e.PlainHTTPRefused {
		advice += fmt.Sprintf(" Plain HTTP was not tried: without insecure = true in its registry block, a registry that is not "+
			"on loopback is spoken to over HTTPS only. Set it only if %q serves plain HTTP on a network you trust: credentials "+
			"then travel unencrypted.", e.Registry)
	}
	return summary, advice
}

// adviceFor gives the summary of a failure class and what to do about it.
func adviceFor(e *registry.Error) (summary, advice string) {
	switch e.Class {
	case registry.ClassNotFound:
		return "Image Not Found", "Check the spelling of the reference and that the tag or digest exists. Some registries also answer " +
			"\"not found\" for a private repository that the credentials in use cannot see."
	case registry.ClassUnauthorized:
		return "Registry Authentication Failed", unauthorizedAdvice(e)
	case registry.ClassCredentials:
		return "Registry Credentials Unavailable", credentialsAdvice(e)
	case registry.ClassDenied:
		return "Registry Access Denied", deniedAdvice(e)
	case registry.ClassRateLimited:
		return "Registry Rate Limit Reached", rateLimitAdvice(e)
	case registry.ClassNetwork:
		if e.TokenServer && e.StatusCode >= 500 {
			return "Registry Token Server Error", tokenServerAdvice(e)
		}
		return "Registry Unreachable", "Check the address and port, DNS, proxy settings (HTTPS_PROXY, NO_PROXY) and firewalls. A registry that " +
			"serves plain HTTP needs insecure = true in its registry block."
	case registry.ClassTimeout:
		return "Registry Request Timed Out", "The registry did not answer within the provider's timeout. Check that it is reachable, or raise timeout " +
			"in the provider configuration."
	case registry.ClassTLS:
		return "Registry TLS Error", tlsAdvice(e)
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

// challengeOf is the scheme and parameters of the registry's challenge, when
// it is known.
func challengeOf(e *registry.Error) (scheme string, params map[string]string) {
	if e.Challenge != nil {
		return e.Challenge.Scheme, e.Challenge.Parameters
	}
	return "", nil
}

// credentialsInUse names the credentials a registry refused, never their value.
func credentialsInUse(e *registry.Error) string {
	if e.Credentials.Source != "" {
		return "the " + e.Credentials.Source
	}
	return "the credentials"
}

// unauthorizedAdvice says what to do about a 401. It claims no more than the
// answer says: an anonymous 401 asks for credentials, which a private
// repository needs and a missing one does not settle; a 401 from the registry
// after its token service issued a token for the credentials says the token
// does not reach this repository, not that the credentials are wrong.
func unauthorizedAdvice(e *registry.Error) string {
	scheme, params := challengeOf(e)
	if msg, ok := ecrChallengeAdvice(e.Registry, scheme, params, e.Credentials.Username, e.Credentials.Kind == auth.KindECR); ok {
		return msg
	}
	switch e.Credentials.Kind {
	case auth.KindAnonymous:
		if isDockerHub(e.Registry, params) {
			return fmt.Sprintf("Docker Hub answers an anonymous read this way both for a private repository and for one that does not "+
				"exist, so either may be the case. Check the repository's name (official images are under library/, as in "+
				"library/nginx). For a private repository, log in: add a registry block for %q with your Docker Hub username and a "+
				"personal access token (read-only is enough) as password, or run docker login, whose credentials the provider "+
				"reads from the Docker config.", e.Registry)
		}
		return fmt.Sprintf("No credentials were configured for %q, and the registry asks for them: the repository is private, or it "+
			"does not exist (registries such as Quay and GitLab answer a missing repository this way rather than \"not found\"). "+
			"Check the repository's name, and for a private repository add a registry block for %q with username and password "+
			"(or token).", e.Registry, e.Registry)
	case auth.KindECR:
		return fmt.Sprintf("The registry refused the password from %s, even after fetching a new one. Check that the AWS "+
			"credentials belong to the account that owns the registry or have cross-account access to the repository "+
			"(ecr:BatchGetImage, ecr:GetDownloadUrlForLayer).", e.Credentials.Source)
	}
	creds := credentialsInUse(e)
	exchanged := e.Credentials.Kind == auth.KindBasic || e.Credentials.Kind == auth.KindIdentityToken
	switch {
	case e.TokenServer:
		return fmt.Sprintf("The registry's token service refused %s. Check them, and that they have not expired or been revoked.", creds)
	case exchanged && strings.EqualFold(scheme, "bearer"):
		return fmt.Sprintf("The registry's token service issued a token for %s, but the registry refused that token for this "+
			"repository: the repository may not exist (Docker Hub, Quay, GitLab and others answer a missing repository this way), "+
			"or the credentials may not pull it. Check the repository's name, and that the credentials have pull (read) access "+
			"to it.", creds)
	}
	return fmt.Sprintf("The registry refused %s. Check them, and that they have not expired or been revoked.", creds)
}

// deniedAdvice says what to do about a 403. A 403 from a token service is
// ambiguous (GHCR refuses an expired personal access token so), Google names
// the permission it wanted and answers a missing repository the same way, and
// an anonymous 403 asks for credentials.
func deniedAdvice(e *registry.Error) string {
	anonymous := e.Credentials.Kind == auth.KindAnonymous
	creds := credentialsInUse(e)
	if permission, resource, ok := namedPermission(e.Messages); ok {
		if anonymous {
			return fmt.Sprintf("No credentials were configured for %q, and the registry refuses anonymous reads of this repository: "+
				"it wants the permission %q on %q. The repository may also not exist: Google Artifact Registry answers a missing "+
				"repository this way. Check its name, and add a registry block for %q with credentials of an identity that has "+
				"that permission (in Artifact Registry, the role Artifact Registry Reader).", e.Registry, permission, resource, e.Registry)
		}
		return fmt.Sprintf("The registry says %s lack the permission %q on %q, or that the repository may not exist. Grant that "+
			"permission to the identity (in Artifact Registry, the role Artifact Registry Reader has it), or check the "+
			"repository's name: the registry answers a missing repository the same way.", creds, permission, resource)
	}
	scheme, params := challengeOf(e)
	if msg, ok := ecrChallengeAdvice(e.Registry, scheme, params, e.Credentials.Username, e.Credentials.Kind == auth.KindECR); ok {
		return msg
	}
	switch {
	case anonymous:
		return fmt.Sprintf("No credentials were configured for %q, and the registry refuses anonymous reads of this repository, "+
			"or it does not exist. Check the repository's name, and add a registry block for %q with credentials that may pull "+
			"it.", e.Registry, e.Registry)
	case e.TokenServer:
		return fmt.Sprintf("The registry's token service refused a token for this repository. Registries answer so both to "+
			"credentials that are wrong or have expired (GHCR answers an expired personal access token this way) and to valid "+
			"ones without access to the repository, so either may be the case. Check that %s are current, and that they may "+
			"pull this repository (for GHCR, a token with read:packages that can see the package).", creds)
	}
	return fmt.Sprintf("The registry accepted %s but refuses them this repository. Grant them pull (read) access to it, or use "+
		"credentials that have it. Some registries answer a repository that does not exist this way too: check its name.", creds)
}

// rateLimitAdvice gives the numbers the registry sent: its pull quota and
// how long it asked to wait.
func rateLimitAdvice(e *registry.Error) string {
	advice := "The registry is limiting requests."
	if q := e.Quota; q != nil {
		advice += fmt.Sprintf(" It allows %d pulls", q.Limit)
		if q.Window > 0 {
			advice += " per " + strings.TrimSuffix(strings.TrimSuffix(q.Window.String(), "0s"), "0m")
		}
		advice += fmt.Sprintf(", and says %d are left.", q.Remaining)
	}
	advice += " Wait and try again"
	if e.RetryAfter > 0 {
		advice += fmt.Sprintf(" (it asked for %s)", e.RetryAfter)
	}
	return advice + "; authenticated requests usually get a higher limit. Raise max_retries to wait for it automatically within timeout."
}

// googlePermission finds the permission and resource a registry's message
// names, as Google's do: `Permission "artifactregistry.repositories.
// downloadArtifacts" denied on resource "projects/P/locations/L/repositories/R"`.
var googlePermission = regexp.MustCompile(`[Pp]ermission "([A-Za-z0-9_.]+)"(?: denied)? on resource "([^"]+)"`)

func namedPermission(messages []string) (permission, resource string, ok bool) {
	for _, message := range messages {
		if m := googlePermission.FindStringSubmatch(message); m != nil {
			return m[1], m[2], true
		}
	}
	return "", "", false
}

// isDockerHub reports whether a registry is Docker Hub: by its canonical name,
// or by the service its challenge names, as a mirror or stand-in shows it.
func isDockerHub(registryHost string, challenge map[string]string) bool {
	if registryHost == imageref.DockerHub {
		return true
	}
	for k, v := range challenge {
		if strings.EqualFold(k, "service") && strings.EqualFold(v, "registry.docker.io") {
			return true
		}
	}
	return false
}

// tlsAdvice says what to change for a failed TLS handshake: at the registry
// itself, its settings; at another host it sent the request to (its token
// realm, a redirect target), a registry block of that host's own, because a
// block's TLS settings apply to its own host and port only.
func tlsAdvice(e *registry.Error) string {
	if e.Host != "" && imageref.CanonicalRegistry(e.Host) != e.Registry {
		return fmt.Sprintf("The TLS failure was at %s, where %q sent the request (its token server or a redirect target), not at the "+
			"registry itself. A registry block's TLS settings apply to its own host and port only; every other host is verified "+
			"against the system's trusted CAs. If %s uses a private CA, add a registry block for it with that CA:\n\n"+
			"  registry {\n    address     = %q\n    ca_cert_pem = file(\"<CA of %s>.pem\")\n  }",
			e.Host, e.Registry, e.Host, e.Host, e.Host)
	}
	return "The registry's TLS certificate could not be verified or the TLS handshake failed. For a private CA, set " +
		"ca_cert_pem in its registry block; for a registry that requires a client certificate, client_cert_pem and " +
		"client_key_pem; for a registry that serves plain HTTP, insecure = true."
}

// tokenServerAdvice is for a token server that answered with a server error:
// it was reached, so the network is not the cause.
func tokenServerAdvice(e *registry.Error) string {
	where := "The registry's token server"
	if e.Host != "" {
		where = fmt.Sprintf("The token server of %q (%s)", e.Registry, e.Host)
	}
	return where + " answered with a server error, also when the request was tried again, so no token could be obtained: " +
		"it was reached, and is failing. Try again later, or raise max_retries to keep trying within timeout; if it persists, " +
		"check the registry's status."
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
