package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestRegistryDiagnostic: every failure class has its own summary, and every
// detail names the registry and repository and gives advice.
func TestRegistryDiagnostic(t *testing.T) {
	summaries := map[registry.Class]string{
		registry.ClassNotFound:           "Image Not Found",
		registry.ClassUnauthorized:       "Registry Authentication Failed",
		registry.ClassDenied:             "Registry Access Denied",
		registry.ClassRateLimited:        "Registry Rate Limit Reached",
		registry.ClassNetwork:            "Registry Unreachable",
		registry.ClassTimeout:            "Registry Request Timed Out",
		registry.ClassTLS:                "Registry TLS Error",
		registry.ClassMalformed:          "Malformed Registry Response",
		registry.ClassDigestMismatch:     "Manifest Digest Mismatch",
		registry.ClassUnsupported:        "Unsupported Manifest",
		registry.ClassUnknown:            "Registry Request Failed",
		registry.ClassCredentials:        "Registry Credentials Unavailable",
		registry.ClassNoMatchingPlatform: "No Matching Platform",
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
	}
	if d := registryDiagnostic(&registry.Error{Class: registry.ClassRateLimited, RetryAfter: 9 * time.Second, Err: errors.New("x")}); !strings.Contains(d.Detail(), "asked for 9s") {
		t.Errorf("rate-limit detail %q does not say when to come back", d.Detail())
	}
	if d := registryDiagnostic(errors.New("plain")); d.Summary() != "Registry Request Failed" || !strings.Contains(d.Detail(), "plain") {
		t.Errorf("unclassified error: %q %q", d.Summary(), d.Detail())
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
