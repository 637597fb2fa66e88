package imageref

import (
	"strings"
	"testing"
)

func TestParseRepository(t *testing.T) {
	tests := []struct{ in, registry, repo string }{
		{"nginx", "docker.io", "library/nginx"},
		{"bitnami/redis", "docker.io", "bitnami/redis"},
		{"index.docker.io/nginx", "docker.io", "library/nginx"},
		{"ghcr.io/o/app", "ghcr.io", "o/app"},
		{"host:5000/a/b", "host:5000", "a/b"},
		{"localhost/app", "localhost", "app"},
	}
	for _, tt := range tests {
		got, err := ParseRepository(tt.in)
		want := Reference{Registry: tt.registry, Repository: tt.repo}
		if err != nil || got != want {
			t.Errorf("ParseRepository(%q) = %+v, %v; want %+v", tt.in, got, err, want)
		}
	}
}

func TestParseRepositoryInvalid(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"nginx:1.27", `has a tag: give the repository alone, such as "docker.io/library/nginx"`},
		{"nginx:latest", "has a tag"},
		{"host:5000/a/b:t", `such as "host:5000/a/b"`},
		{"ghcr.io/o/app@" + dgst, "has a digest"},
		{"Nginx", "lower case"},
		{"", "empty"},
	}
	for _, tt := range tests {
		_, err := ParseRepository(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseRepository(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}
