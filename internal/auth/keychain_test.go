package auth

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func resolve(t *testing.T, kc authn.Keychain, ref string) *authn.AuthConfig {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	a, err := kc.Resolve(r.Context())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestStaticMatching checks that a block is found under every name of its
// registry, is never used for another registry, and that a block without
// credentials leaves the lookup to the next keychain.
func TestStaticMatching(t *testing.T) {
	kc := Keychain(NewStatic(map[string]Credentials{
		"docker.io":      {Username: "hub", Password: "hubpw"},
		"ghcr.io":        {Token: "ghtoken"},
		"tls-only.local": {},
	}))
	if got := resolve(t, kc, "nginx"); got.Username != "hub" || got.Password != "hubpw" {
		t.Errorf("nginx: got user %q, want the docker.io block", got.Username)
	}
	if got := resolve(t, kc, "index.docker.io/library/nginx"); got.Username != "hub" {
		t.Errorf("index.docker.io: got user %q, want the docker.io block", got.Username)
	}
	if got := resolve(t, kc, "ghcr.io/o/app"); got.RegistryToken != "ghtoken" || got.Username != "" {
		t.Errorf("ghcr.io: got %+v, want the token alone", *got)
	}
	if got := resolve(t, kc, "quay.io/o/app"); *got != (authn.AuthConfig{}) {
		t.Errorf("quay.io: got credentials %+v, want anonymous", *got)
	}
	if got := resolve(t, kc, "ghcr.io.evil.example/o/app"); *got != (authn.AuthConfig{}) {
		t.Errorf("look-alike host got credentials %+v, want anonymous", *got)
	}
	if got := resolve(t, kc, "tls-only.local/app"); *got != (authn.AuthConfig{}) {
		t.Errorf("block without credentials gave %+v, want anonymous", *got)
	}
}

// TestKeychainOrder checks that the registry blocks win over later sources
// and that later sources are consulted when no block matches.
func TestKeychainOrder(t *testing.T) {
	later := NewStatic(map[string]Credentials{"docker.io": {Username: "later", Password: "x"}, "quay.io": {Username: "q", Password: "y"}})
	kc := Keychain(NewStatic(map[string]Credentials{"docker.io": {Username: "block", Password: "x"}}), later)
	if got := resolve(t, kc, "nginx"); got.Username != "block" {
		t.Errorf("got %q, want the registry block to win", got.Username)
	}
	if got := resolve(t, kc, "quay.io/a/b"); got.Username != "q" {
		t.Errorf("got %q, want the later source", got.Username)
	}
}
