package provider

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// TestIsDockerHub: Docker Hub is recognised by its canonical name or by the
// service its challenge names, and by nothing else.
func TestIsDockerHub(t *testing.T) {
	for _, tt := range []struct {
		host   string
		params map[string]string
		want   bool
	}{
		{"docker.io", nil, true},
		{"127.0.0.1:5000", map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}, true},
		{"mirror.example", map[string]string{"Service": "REGISTRY.DOCKER.IO"}, true},
		{"ghcr.io", map[string]string{"service": "ghcr.io"}, false},
		{"registry.docker.io.example", nil, false},
		{"127.0.0.1:5000", map[string]string{"realm": "registry.docker.io"}, false},
	} {
		if got := isDockerHub(tt.host, tt.params); got != tt.want {
			t.Errorf("isDockerHub(%q, %v) = %v, want %v", tt.host, tt.params, got, tt.want)
		}
	}
}

// TestNamedPermission finds the permission and resource in Google's messages
// and nothing in others.
func TestNamedPermission(t *testing.T) {
	for msg, want := range map[string][2]string{
		`Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/us/repositories/r" (or it may not exist)`:         {"artifactregistry.repositories.downloadArtifacts", "projects/p/locations/us/repositories/r"},
		`Unauthenticated requests do not have permission "artifactregistry.repositories.downloadArtifacts" on resource "projects/p/locations/us/repositories/r"`: {"artifactregistry.repositories.downloadArtifacts", "projects/p/locations/us/repositories/r"},
		`requested access to the resource is denied`: {},
		`Permission "x y" denied on resource "r"`:    {},
	} {
		p, r, ok := namedPermission([]string{msg})
		if ok != (want[0] != "") || p != want[0] || r != want[1] {
			t.Errorf("%q: %q %q %v, want %q", msg, p, r, ok, want)
		}
	}
}

// TestDialectAdvice: each registry's answer gets advice in its terms, and
// never more certainty than the answer gave.
func TestDialectAdvice(t *testing.T) {
	anon := auth.Origin{Kind: auth.KindAnonymous, Source: "no credentials (anonymous)"}
	block := auth.Origin{Kind: auth.KindBasic, Source: "username/password of the registry block"}
	bearer := func(service string) *transport.Challenge {
		return &transport.Challenge{Scheme: "bearer", Parameters: map[string]string{"realm": "https://auth.example/token", "service": service}}
	}
	googleDenied := `Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/us/repositories/r" (or it may not exist)`
	for _, tt := range []struct {
		name        string
		err         *registry.Error
		want, avoid []string
	}{
		{"Docker Hub, anonymous", &registry.Error{Class: registry.ClassUnauthorized, Registry: "docker.io", Credentials: anon, Challenge: bearer("registry.docker.io")},
			[]string{"Docker Hub", "private repository and for one that does not exist", "library/nginx", "personal access token", "docker login"}, nil},
		{"anonymous elsewhere", &registry.Error{Class: registry.ClassUnauthorized, Registry: "quay.io", Credentials: anon, Challenge: bearer("quay.io")},
			[]string{`No credentials were configured for "quay.io"`, "or it does not exist", "registry block"}, []string{"Docker Hub answers"}},
		{"token issued, registry refused it", &registry.Error{Class: registry.ClassUnauthorized, Registry: "quay.io", Credentials: block, Challenge: bearer("quay.io")},
			[]string{"issued a token for the username/password of the registry block", "may not exist", "pull (read) access"}, []string{"expired"}},
		{"token service refused the credentials", &registry.Error{Class: registry.ClassUnauthorized, Registry: "quay.io", Credentials: block, Challenge: bearer("quay.io"), TokenServer: true},
			[]string{"token service refused the username/password of the registry block", "expired"}, []string{"may not exist"}},
		{"Basic registry refused the credentials", &registry.Error{Class: registry.ClassUnauthorized, Registry: "nexus.example", Credentials: block,
			Challenge: &transport.Challenge{Scheme: "basic", Parameters: map[string]string{"realm": "Sonatype Nexus Repository Manager"}}},
			[]string{"The registry refused the username/password of the registry block"}, []string{"token"}},
		{"GHCR's 403 at the token service", &registry.Error{Class: registry.ClassDenied, Registry: "ghcr.io", Credentials: block, TokenServer: true, Messages: []string{"requested access to the resource is denied"}},
			[]string{"wrong or have expired", "without access", "either may be the case", "read:packages"}, []string{"accepted"}},
		{"Google, signed in", &registry.Error{Class: registry.ClassDenied, Registry: "us-docker.pkg.dev", Credentials: block, TokenServer: true, Messages: []string{googleDenied}},
			[]string{`"artifactregistry.repositories.downloadArtifacts"`, `"projects/p/locations/us/repositories/r"`, "Artifact Registry Reader", "may not exist"}, []string{"GHCR"}},
		{"Google, anonymous", &registry.Error{Class: registry.ClassDenied, Registry: "us-docker.pkg.dev", Credentials: anon, TokenServer: true,
			Messages: []string{`Unauthenticated requests do not have permission "artifactregistry.repositories.downloadArtifacts" on resource "projects/p/locations/us/repositories/r"`}},
			[]string{`No credentials were configured for "us-docker.pkg.dev"`, `"artifactregistry.repositories.downloadArtifacts"`, "may also not exist", "registry block"}, nil},
		{"403 from the registry", &registry.Error{Class: registry.ClassDenied, Registry: "nexus.example", Credentials: block},
			[]string{"accepted the username/password of the registry block", "Grant them pull (read) access", "does not exist this way too"}, nil},
		{"anonymous 403", &registry.Error{Class: registry.ClassDenied, Registry: "r.example", Credentials: anon},
			[]string{`No credentials were configured for "r.example"`, "refuses anonymous reads", "does not exist"}, []string{"accepted"}},
		{"ECR's expired password given as username/password", &registry.Error{Class: registry.ClassDenied, Registry: ecrTestHost, Credentials: auth.Origin{Kind: auth.KindBasic, Username: "AWS"},
			Challenge: &transport.Challenge{Scheme: "basic", Parameters: map[string]string{"service": "ecr.amazonaws.com"}}, Messages: []string{"Your authorization token has expired. Reauthenticate and try again."}},
			[]string{"Amazon ECR registry", "ecr {"}, nil},
		{"ECR Public's challenge to AWS keys", &registry.Error{Class: registry.ClassUnauthorized, Registry: "127.0.0.1:5000", TokenServer: true,
			Credentials: auth.Origin{Kind: auth.KindBasic, Username: "AKIAIOSFODNN7EXAMPLE"}, Challenge: bearer("public.ecr.aws")},
			[]string{"Amazon ECR registry", "AWS access keys given as username and password", "ECR Public", "ecr {"}, nil},
		{"Docker Hub's quota", &registry.Error{Class: registry.ClassRateLimited, Registry: "docker.io", Quota: &registry.PullQuota{Limit: 100, Remaining: 0, Window: 6 * time.Hour}},
			[]string{"allows 100 pulls per 6h, and says 0 are left"}, []string{"asked for"}},
		{"a quota without window, and Retry-After", &registry.Error{Class: registry.ClassRateLimited, Registry: "r.example", Quota: &registry.PullQuota{Limit: 5000, Remaining: 3}, RetryAfter: 90 * time.Second},
			[]string{"allows 5000 pulls, and says 3 are left", "asked for 1m30s"}, nil},
	} {
		tt.err.Err = errors.New("cause")
		_, advice := classAdvice(tt.err)
		for _, w := range tt.want {
			if !strings.Contains(advice, w) {
				t.Errorf("%s: advice %q does not say %q", tt.name, advice, w)
			}
		}
		for _, a := range tt.avoid {
			if strings.Contains(advice, a) {
				t.Errorf("%s: advice %q says %q", tt.name, advice, a)
			}
		}
	}
}
