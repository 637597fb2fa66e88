package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestClientSharesAuthentication: many concurrent reads of one repository
// cost one ping and one token, and each read one manifest request.
func TestClientSharesAuthentication(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	img, err := reg.PushImage(ctx, "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	c := newClient(t, reg, auth.Credentials{Username: user, Password: password})
	ref := mustParse(t, reg.Host+"/team/app:1")

	const reads = 20
	concurrently(t, reads, func() error {
		m, err := c.Manifest(ctx, ref)
		if err == nil && m.Digest != want.String() {
			err = errors.New("digest " + m.Digest + ", want " + want.String())
		}
		return err
	})
	if n := len(reg.TokenRequests.All()); n != 1 {
		t.Errorf("token server saw %d requests for %d reads, want 1", n, reads)
	}
	if n := reg.Count("GET", "/v2/team/app/manifests/"); n != reads {
		t.Errorf("registry saw %d manifest requests, want %d", n, reads)
	}
	if n := reg.Count("GET", "/v2/"); n != reads+1 {
		t.Errorf("registry saw %d requests in all, want %d (one ping)", n, reads+1)
	}
}

// TestClientErrorsCarryNoSecret: a refused password yields an unauthorized
// error that names registry and repository, and never the password.
func TestClientErrorsCarryNoSecret(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []registrytest.AuthMode{registrytest.AuthToken, registrytest.AuthHtpasswd} {
		t.Run(mode.String(), func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{Auth: mode, Users: map[string]string{user: password}})
			if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
				t.Fatal(err)
			}
			wrong := "wrong-" + password
			c := newClient(t, reg, auth.Credentials{Username: user, Password: wrong})
			_, err := c.Manifest(ctx, mustParse(t, reg.Host+"/team/app:1"))
			var e *Error
			if !errors.As(err, &e) || e.Class != ClassUnauthorized {
				t.Fatalf("got %v, want an unauthorized *Error", err)
			}
			if e.Registry != reg.Host || e.Repository != "team/app" {
				t.Errorf("error names %q %q", e.Registry, e.Repository)
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), password) {
				t.Errorf("error text contains the password: %v", err)
			}
		})
	}
}

// TestClientRetriesAuthenticationAfterFailure: a failed ping is not cached,
// so the next read tries again.
func TestClientRetriesAuthenticationAfterFailure(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, reg, auth.Credentials{Username: user, Password: password})
	ref := mustParse(t, reg.Host+"/team/app:1")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Manifest(cancelled, ref); err == nil {
		t.Fatal("a cancelled read succeeded")
	}
	if _, err := c.Manifest(ctx, ref); err != nil {
		t.Fatalf("the read after a cancelled one failed: %v", err)
	}
}
