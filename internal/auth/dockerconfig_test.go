package auth

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func writeDockerConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func resolveHost(t *testing.T, kc authn.Keychain, host string) (authn.Authenticator, *authn.AuthConfig, error) {
	t.Helper()
	reg, err := name.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	a, err := kc.Resolve(reg)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return a, cfg, nil
}

// TestDockerConfigAuths reads each form of an auths entry, including Docker
// Hub's legacy key, and leaves other hosts anonymous.
func TestDockerConfigAuths(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	path := writeDockerConfig(t, `{"auths":{
		"https://index.docker.io/v1/": {"auth": "`+b64("hubuser:hubpw")+`"},
		"ghcr.io": {"username": "gh", "password": "ghpw"},
		"https://quay.io": {"auth": "`+b64("q:qpw")+`"},
		"myacr.azurecr.io": {"auth": "`+b64("00000000-0000-0000-0000-000000000000:")+`", "identitytoken": "refresh-xyz"},
		"tokens.example.com": {"registrytoken": "bearer-abc"}
	}}`)
	kc := NewDockerConfig(path)
	tests := []struct {
		host string
		want authn.AuthConfig
		kind string
	}{
		{"index.docker.io", authn.AuthConfig{Username: "hubuser", Password: "hubpw"}, KindBasic},
		{"ghcr.io", authn.AuthConfig{Username: "gh", Password: "ghpw"}, KindBasic},
		{"quay.io", authn.AuthConfig{Username: "q", Password: "qpw"}, KindBasic},
		{"myacr.azurecr.io", authn.AuthConfig{Username: "00000000-0000-0000-0000-000000000000", Password: "refresh-xyz", IdentityToken: "refresh-xyz"}, KindIdentityToken},
		{"tokens.example.com", authn.AuthConfig{RegistryToken: "bearer-abc"}, KindToken},
	}
	for _, tt := range tests {
		a, got, err := resolveHost(t, kc, tt.host)
		if err != nil {
			t.Fatalf("%s: %v", tt.host, err)
		}
		if *got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.host, *got, tt.want)
		}
		if o := OriginOf(a); o.Kind != tt.kind || !strings.Contains(o.Source, path) {
			t.Errorf("%s: described as %q %q, want kind %q naming %s", tt.host, o.Kind, o.Source, tt.kind, path)
		}
	}
	if a, _, _ := resolveHost(t, kc, "other.example.com"); a != authn.Anonymous {
		t.Errorf("a host without an entry got %v, want anonymous", a)
	}
}

// TestDockerConfigFiles: a missing file is an empty configuration; a
// malformed one is a credential error naming the file, never a silent
// fallback to anonymous.
func TestDockerConfigFiles(t *testing.T) {
	if a, _, err := resolveHost(t, NewDockerConfig(filepath.Join(t.TempDir(), "none.json")), "ghcr.io"); err != nil || a != authn.Anonymous {
		t.Errorf("missing file: %v, %v; want anonymous", a, err)
	}
	path := writeDockerConfig(t, `{"auths": [`)
	_, _, err := resolveHost(t, NewDockerConfig(path), "ghcr.io")
	var ce *CredentialError
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("malformed file: %v; want an error naming %s", err, path)
	}
	if !errors.As(err, &ce) {
		t.Errorf("malformed file: %T is not a CredentialError", err)
	}
}

// TestDefaultDockerConfigPath follows DOCKER_CONFIG, else the home directory.
func TestDefaultDockerConfigPath(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", "/somewhere")
	if got := DefaultDockerConfigPath(); got != "/somewhere/config.json" {
		t.Errorf("with DOCKER_CONFIG: %q", got)
	}
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("HOME", "/home/someone")
	if got := DefaultDockerConfigPath(); got != "/home/someone/.docker/config.json" {
		t.Errorf("without DOCKER_CONFIG: %q", got)
	}
}
