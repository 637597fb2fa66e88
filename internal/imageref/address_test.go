package imageref

import (
	"strings"
	"testing"
)

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ghcr.io", "ghcr.io"},
		{"GHCR.io", "ghcr.io"},
		{"docker.io", "docker.io"},
		{"index.docker.io", "docker.io"},
		{"registry-1.docker.io", "docker.io"},
		{"https://index.docker.io/v1/", "docker.io"},
		{"https://registry.example.com:5000", "registry.example.com:5000"},
		{"http://localhost:5000/", "localhost:5000"},
		{"myreg.example.com/v2/", "myreg.example.com"},
		{"127.0.0.1:5000", "127.0.0.1:5000"},
		{"[::1]:5000", "[::1]:5000"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeAddressInvalid(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty"},
		{"ghcr.io/org", `includes the path "/org"`},
		{"https://ghcr.io/org/app", "a repository belongs in an image reference"},
		{"ghcr.io ", "white space"},
		{"-x.io", "not a registry host"},
		{"https://", "not a registry host"},
		{"ghcr.io:abc", "not a registry host"},
	}
	for _, tt := range tests {
		_, err := NormalizeAddress(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NormalizeAddress(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestCanonicalRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"index.docker.io": "docker.io", "registry-1.docker.io": "docker.io", "DOCKER.IO": "docker.io",
		"Quay.io": "quay.io", "localhost:5000": "localhost:5000",
	} {
		if got := CanonicalRegistry(in); got != want {
			t.Errorf("CanonicalRegistry(%q) = %q, want %q", in, got, want)
		}
	}
}
