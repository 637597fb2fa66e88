package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// Helpers shared by the test files of this package. Helpers only one file
// uses stay in that file.

// The user the test registries accept, and its password.
const (
	user     = "bob"
	password = "bob-pw-c0ffee-91"
)

// newClient is a client that gives reg creds and never retries.
func newClient(t *testing.T, reg *registrytest.Registry, creds auth.Credentials) *Client {
	t.Helper()
	c := New(Options{
		Keychain:   auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: creds})),
		MaxRetries: 0,
		UserAgent:  "imageinfo-test",
	})
	t.Cleanup(c.Close)
	return c
}

// anonymous is a client that gives reg no credentials.
func anonymous(t *testing.T, reg *registrytest.Registry) *Client {
	return newClient(t, reg, auth.Credentials{})
}

// mustParse parses an image reference.
func mustParse(t *testing.T, s string) imageref.Reference {
	t.Helper()
	r, err := imageref.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantClass checks err's class and text, and returns the *Error's fields
// (a value, which no linter mistakes for an unchecked error).
func wantClass(t *testing.T, err error, class Class, text ...string) Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Class != class {
		t.Fatalf("got %v, want a %s error", err, class)
	}
	for _, s := range text {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	return *e
}

// sha is the sha256 digest of b.
func sha(b string) string {
	s := sha256.Sum256([]byte(b))
	return "sha256:" + hex.EncodeToString(s[:])
}
