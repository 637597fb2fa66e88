package imageref

import (
	"strings"
	"testing"
)

const (
	dgst    = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dgst512 = "sha512:" + hex64 + hex64
	hex64   = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// TestParse checks normalisation against what `docker pull` does with each
// form (docker.io/library for single names, localhost and ports as registries,
// digest winning over tag while the tag is still reported).
func TestParse(t *testing.T) {
	tests := []struct {
		in                      string
		registry, repo, tag, dg string
	}{
		{"nginx", "docker.io", "library/nginx", "latest", ""},
		{"nginx:1.27", "docker.io", "library/nginx", "1.27", ""},
		{"library/nginx", "docker.io", "library/nginx", "latest", ""},
		{"docker.io/nginx", "docker.io", "library/nginx", "latest", ""},
		{"index.docker.io/nginx:1", "docker.io", "library/nginx", "1", ""},
		{"docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7", ""},
		{"registry-1.docker.io/library/nginx", "docker.io", "library/nginx", "latest", ""},
		{"ghcr.io/o/app@" + dgst, "ghcr.io", "o/app", "", dgst},
		{"ghcr.io/o/app:v1@" + dgst, "ghcr.io", "o/app", "v1", dgst},
		{"ghcr.io/o/app@" + dgst512, "ghcr.io", "o/app", "", dgst512},
		{"nginx:1.27@" + dgst, "docker.io", "library/nginx", "1.27", dgst},
		{"host:5000/a/b:t", "host:5000", "a/b", "t", ""},
		{"host:5000/a/b", "host:5000", "a/b", "latest", ""},
		{"localhost/app", "localhost", "app", "latest", ""},
		{"localhost:5000/app:1", "localhost:5000", "app", "1", ""},
		{"127.0.0.1:5000/team/app:1", "127.0.0.1:5000", "team/app", "1", ""},
		{"[::1]:5000/app:1", "[::1]:5000", "app", "1", ""},
		{"Example.COM/app", "example.com", "app", "latest", ""},
		{"a.b/c__d/e-f.g_h:T_1.x-y", "a.b", "c__d/e-f.g_h", "T_1.x-y", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			want := Reference{Registry: tt.registry, Repository: tt.repo, Tag: tt.tag, Digest: tt.dg}
			if got != want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty"},
		{"Nginx", "lower case"},
		{"ghcr.io/Org/app", "lower case"},
		{"nginx:", "invalid tag"},
		{"nginx:-x", "invalid tag"},
		{"nginx:" + strings.Repeat("a", 129), "invalid tag"},
		{"nginx@sha256:abc", "invalid digest"},
		{"nginx@md5:0123456789abcdef0123456789abcdef", "invalid digest"},
		// go-digest knows sha384, but OCI registries use sha256 and sha512 only.
		{"nginx@sha384:" + hex64 + hex64[:32], "sha384 is not"},
		{"nginx@" + dgst + "@" + dgst, "invalid digest"},
		{"https://ghcr.io/o/app", "URL scheme"},
		{" nginx", "white space"},
		{"ngi nx", "white space"},
		{"ghcr.io/", "repository name is empty"},
		{"ghcr.io/o//app", "invalid repository name"},
		{"ghcr.io/o/app-", "invalid repository name"},
		{"-bad.io/app", "invalid registry host"},
		{":5000/app", "invalid registry host"},
		{"a.io/" + strings.Repeat("a", 260), "longer than"},
		{"@" + dgst, "no repository"},
		{"MyRegistry/app", "neither a dot nor a port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

// TestValidateDigest: the algorithms OCI registers (sha256, sha512) with
// their lengths, and nothing else go-digest would take, such as sha384.
func TestValidateDigest(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{dgst, ""},
		{dgst512, ""},
		{"sha384:" + hex64 + hex64[:32], "algorithm sha384 is not"},
		{"sha256:" + hex64 + hex64, "invalid digest"},
		{"sha512:" + hex64, "invalid digest"},
		{"sha256:" + strings.ToUpper(hex64), "invalid digest"},
		{"md5:0123456789abcdef0123456789abcdef", "invalid digest"},
		{"latest", "invalid digest"},
	}
	for _, tt := range tests {
		err := ValidateDigest(tt.in)
		if tt.wantErr == "" && err != nil {
			t.Errorf("ValidateDigest(%q) = %v, want nil", tt.in, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateDigest(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestReferenceForms(t *testing.T) {
	r, err := Parse("nginx:1.27@" + dgst)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), "docker.io/library/nginx:1.27@"+dgst; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := r.Identifier(); got != dgst {
		t.Errorf("Identifier() = %q, want the digest", got)
	}
	if got, want := r.Pin(dgst), "docker.io/library/nginx@"+dgst; got != want {
		t.Errorf("Pin() = %q, want %q", got, want)
	}
	// go-containerregistry calls Docker Hub index.docker.io on the wire.
	if got, want := r.GGCRRepository(false).String(), "index.docker.io/library/nginx"; got != want {
		t.Errorf("GGCRRepository() = %q, want %q", got, want)
	}
	l, _ := Parse("registry.example:5000/app")
	if got := l.GGCRRepository(true).Scheme(); got != "http" {
		t.Errorf("insecure scheme = %q, want http", got)
	}
	if got := l.GGCRRepository(false).Scheme(); got != "https" {
		t.Errorf("scheme = %q, want https", got)
	}
}

// FuzzParse checks that Parse never panics and that what it accepts is a
// fixed point: the canonical string parses to the same reference.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "ghcr.io/o/app:v1@" + dgst, "localhost:5000/a/b:c", "[::1]:5000/x", "a/b/c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its canonical form %q fails: %v", s, r.String(), err)
		}
		if again != r {
			t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v", s, r, r.String(), again)
		}
	})
}
