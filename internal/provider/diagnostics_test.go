package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestRegistryDiagnostic: every failure class has its own summary, and every
// detail names the registry and repository and gives advice.
func TestRegistryDiagnostic(t *testing.T) {
	summaries := map[registry.Class]string{
		registry.ClassNotFound:       "Image Not Found",
		registry.ClassUnauthorized:   "Registry Authentication Failed",
		registry.ClassDenied:         "Registry Access Denied",
		registry.ClassRateLimited:    "Registry Rate Limit Reached",
		registry.ClassNetwork:        "Registry Unreachable",
		registry.ClassTimeout:        "Registry Request Timed Out",
		registry.ClassTLS:            "Registry TLS Error",
		registry.ClassMalformed:      "Malformed Registry Response",
		registry.ClassDigestMismatch: "Manifest Digest Mismatch",
		registry.ClassUnsupported:    "Unsupported Manifest",
		registry.ClassUnknown:        "Registry Request Failed",
		registry.ClassCredentials:    "Registry Credentials Unavailable",
	}
	for class, want := range summaries {
		d := registryDiagnostic(&registry.Error{Class: class, Registry: "ghcr.io", Repository: "o/app", Identifier: "v1",
			StatusCode: 418, Codes: []string{"CODE"}, RetryAfter: 9 * time.Second, Err: errors.New("cause text.\n")})
		if d.Summary() != want {
			t.Errorf("%s: summary %q, want %q", class, d.Summary(), want)
		}
		for _, part := range []string{`registry "ghcr.io"`, `repository "o/app"`, `tag "v1"`, "cause text", "(HTTP 418 CODE)"} {
			if !strings.Contains(d.Detail(), part) {
				t.Errorf("%s: detail %q lacks %q", class, d.Detail(), part)
			}
		}
		// After what failed, a paragraph that says what to do.
		_, advice, ok := strings.Cut(d.Detail(), "\n\n")
		if !ok || len(advice) < 20 || advice[0] < 'A' || advice[0] > 'Z' || !strings.HasSuffix(advice, ".") {
			t.Errorf("%s: detail %q gives no advice", class, d.Detail())
		}
	}
	if d := registryDiagnostic(&registry.Error{Class: registry.ClassRateLimited, RetryAfter: 9 * time.Second, Err: errors.New("x")}); !strings.Contains(d.Detail(), "asked for 9s") {
		t.Errorf("rate-limit detail %q does not say when to come back", d.Detail())
	}
	if d := registryDiagnostic(errors.New("plain")); d.Summary() != "Registry Request Failed" || !strings.Contains(d.Detail(), "plain") {
		t.Errorf("unclassified error: %q %q", d.Summary(), d.Detail())
	}
}

// TestClassAdvice proves the advice that depends on more than the class:
// what the credentials were, what the registry challenged with, and what
// kind of unsupported manifest it served.
func TestClassAdvice(t *testing.T) {
	ecrChallenge := &transport.Challenge{Scheme: "Basic", Parameters: map[string]string{"realm": "https://" + ecrTestHost + "/", "service": "ecr.amazonaws.com"}}
	for _, tt := range []struct {
		name string
		err  *registry.Error
		want []string
	}{
		{"anonymous", &registry.Error{Class: registry.ClassUnauthorized, Registry: "r.example",
			Credentials: auth.Origin{Kind: auth.KindAnonymous}}, []string{`No credentials were configured for "r.example"`, "registry block"}},
		{"refused block credentials", &registry.Error{Class: registry.ClassUnauthorized, Registry: "r.example",
			Credentials: auth.Origin{Kind: auth.KindBasic, Source: "username/password from the block"}}, []string{"refused the username/password from the block"}},
		{"ECR challenge to basic credentials", &registry.Error{Class: registry.ClassUnauthorized, Registry: ecrTestHost, Challenge: ecrChallenge,
			Credentials: auth.Origin{Kind: auth.KindBasic, Username: "AKIAIOSFODNN7EXAMPLE"}}, []string{"ecr {", "AWS access keys given as username and password are always refused"}},
		{"ECR password refused", &registry.Error{Class: registry.ClassUnauthorized, Registry: ecrTestHost, Challenge: ecrChallenge,
			Credentials: auth.Origin{Kind: auth.KindECR, Source: "ECR GetAuthorizationToken in us-east-1"}}, []string{"even after fetching a new one", "ecr:BatchGetImage"}},
		{"schema 1", &registry.Error{Class: registry.ClassUnsupported, Err: &registry.UnsupportedError{Schema1: true}}, []string{"Push the image again"}},
		{"artifact kind", &registry.Error{Class: registry.ClassUnsupported, Err: &registry.UnsupportedError{MediaType: "application/x"}}, []string{"OCI and Docker schema 2"}},
		{"credential helper", &registry.Error{Class: registry.ClassCredentials, Registry: "r.example",
			Err: &auth.CredentialError{Registry: "r.example", Source: "credential helper docker-credential-x", Err: errors.New("not found")}},
			[]string{"docker-credential-x", "on PATH"}},
		{"ECR API", &registry.Error{Class: registry.ClassCredentials, Registry: ecrTestHost,
			Err: &auth.CredentialError{Registry: ecrTestHost, Err: &ecr.Error{Op: "GetAuthorizationToken", Code: "AccessDeniedException"}}},
			[]string{"ECR password", "ecr:GetAuthorizationToken"}},
	} {
		if tt.err.Err == nil {
			tt.err.Err = errors.New("cause")
		}
		_, advice := classAdvice(tt.err)
		for _, w := range tt.want {
			if !strings.Contains(advice, w) {
				t.Errorf("%s: advice %q does not mention %q", tt.name, advice, w)
			}
		}
	}
}

// TestManifestDiagnostic: a platform the reference does not offer is an
// error on the platform attribute, with advice for what the reference is.
func TestManifestDiagnostic(t *testing.T) {
	want := platform.Platform{OS: "linux", Architecture: "s390x"}
	for _, tt := range []struct {
		pe     *registry.PlatformError
		advice string
	}{
		{&registry.PlatformError{Want: want, Index: true, Offered: []string{"linux/amd64"}}, "Set platform to one the image offers"},
		{&registry.PlatformError{Want: want, ImagePlatform: "linux/amd64"}, "or to an image for linux/s390x"},
		{&registry.PlatformError{Want: want}, "refer to a multi-platform tag"},
		{&registry.PlatformError{Want: want, Artifact: "artifact type x"}, "an artifact has no platform"},
	} {
		d := manifestDiagnostic(&registry.Error{Class: registry.ClassNoMatchingPlatform, Registry: "r", Repository: "p", Err: tt.pe})
		if d.Summary() != "No Matching Platform" || !strings.Contains(d.Detail(), tt.advice) || !strings.Contains(d.Detail(), tt.pe.Error()) {
			t.Errorf("%+v: %q %q, want No Matching Platform with the facts and %q", tt.pe, d.Summary(), d.Detail(), tt.advice)
		}
		if ad, ok := d.(diag.DiagnosticWithPath); !ok || !ad.Path().Equal(path.Root("platform")) {
			t.Errorf("%+v: the diagnostic is not on the platform attribute", tt.pe)
		}
	}
}

// TestRegistryDiagnosticOmitsSecrets drives real failures through the
// registry client and checks that the diagnostic shows no credential.
func TestRegistryDiagnosticOmitsSecrets(t *testing.T) {
	ctx := context.Background()
	const password = "pw-never-shown-5e2b"
	const wrong = "wrong-pw-never-shown-77aa"
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{"u": password}})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	for _, creds := range []auth.Credentials{{Username: "u", Password: wrong}, {Token: wrong}} {
		c := registry.New(registry.Options{Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: creds}))})
		ref, _ := imageref.Parse(reg.Host + "/team/app:1")
		_, err := c.Manifest(ctx, ref)
		if err == nil {
			t.Fatal("wrong credentials were accepted")
		}
		d := registryDiagnostic(err)
		if d.Summary() != "Registry Authentication Failed" {
			t.Errorf("summary %q, want Registry Authentication Failed", d.Summary())
		}
		text := d.Summary() + d.Detail()
		if strings.Contains(text, wrong) || strings.Contains(text, password) {
			t.Errorf("diagnostic contains a secret: %s", text)
		}
		c.Close()
	}
}

// TestSecurityAdvice: a TLS failure at another host than the registry names
// that host and the block that trusts it; plain HTTP not tried says how to
// allow it; a token server's 5xx is not called unreachable.
func TestSecurityAdvice(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     *registry.Error
		summary string
		want    []string
		absent  []string
	}{
		{"TLS at the realm", &registry.Error{Class: registry.ClassTLS, Registry: "127.0.0.1:5000", Host: "auth.example:8443"},
			"Registry TLS Error", []string{"auth.example:8443", `address     = "auth.example:8443"`, "ca_cert_pem", "own host and port only"}, nil},
		{"TLS at the registry", &registry.Error{Class: registry.ClassTLS, Registry: "docker.io", Host: "index.docker.io"},
			"Registry TLS Error", []string{"ca_cert_pem in its registry block"}, []string{"token server"}},
		{"plain HTTP not tried", &registry.Error{Class: registry.ClassTLS, Registry: "10.9.9.9:5000", Host: "10.9.9.9:5000", PlainHTTPRefused: true},
			"Registry TLS Error", []string{"Plain HTTP was not tried", "insecure = true", `"10.9.9.9:5000"`}, nil},
		{"token server 503", &registry.Error{Class: registry.ClassNetwork, Registry: "r.example", Host: "auth.example", TokenServer: true, StatusCode: 503},
			"Registry Token Server Error", []string{"auth.example", "max_retries"}, []string{"DNS", "firewall"}},
		{"registry 503", &registry.Error{Class: registry.ClassNetwork, Registry: "r.example", StatusCode: 503},
			"Registry Unreachable", []string{"DNS"}, nil},
	} {
		tt.err.Err = errors.New("cause")
		summary, advice := classAdvice(tt.err)
		if summary != tt.summary {
			t.Errorf("%s: summary %q, want %q", tt.name, summary, tt.summary)
		}
		for _, w := range tt.want {
			if !strings.Contains(advice, w) {
				t.Errorf("%s: advice %q does not mention %q", tt.name, advice, w)
			}
		}
		for _, a := range tt.absent {
			if strings.Contains(advice, a) {
				t.Errorf("%s: advice %q mentions %q", tt.name, advice, a)
			}
		}
	}
}
