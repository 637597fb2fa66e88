package registry

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestCloseLeavesNoConnections: after reads through plain and TLS
// registries (the default pool and the per-host ones of the registry and its realm), Close leaves no
// connection and no goroutine behind, while the registries still run: so a
// connection kept open is seen here, not hidden by the servers closing it at
// the end of the test (TestMain's check).
func TestCloseLeavesNoConnections(t *testing.T) {
	ctx := context.Background()
	users := map[string]string{user: password}
	plain := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users})
	secure := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users, TLS: true})
	for _, reg := range []*registrytest.Registry{plain, secure} {
		if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
			t.Fatal(err)
		}
	}
	before := goleak.IgnoreCurrent()
	c := New(Options{
		Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{
			plain.Host: {Username: user, Password: password}, secure.Host: {Username: user, Password: password},
		})),
		// The token server is another host: it has TLS settings of its own.
		Hosts:     map[string]HostOptions{secure.Host: {TLS: secure.ClientTLSConfig()}, secure.TokenHost(): {TLS: secure.ClientTLSConfig()}},
		UserAgent: "imageinfo-test",
	})
	for _, reg := range []*registrytest.Registry{plain, secure} {
		ref := mustParse(t, reg.Host+"/team/app:1")
		if _, err := c.Resolve(ctx, ref, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Tags(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	goleak.VerifyNone(t, before)
}
