package registry

import (
	"context"
	"fmt"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// benchRegistry is a token-auth registry holding 8 images in 4 repositories.
func benchRegistry(b *testing.B) (*registrytest.Registry, []imageref.Reference) {
	b.Helper()
	reg := registrytest.New(b, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	var refs []imageref.Reference
	for r := range 4 {
		for t := range 2 {
			s := fmt.Sprintf("bench/app%d:v%d", r, t)
			if _, err := reg.PushImage(context.Background(), s); err != nil {
				b.Fatal(err)
			}
			ref, err := imageref.Parse(reg.Host + "/" + s)
			if err != nil {
				b.Fatal(err)
			}
			refs = append(refs, ref)
		}
	}
	return reg, refs
}

func benchClient(reg *registrytest.Registry, store *cache.Store) *Client {
	return New(Options{
		Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: {Username: user, Password: password}})),
		Cache:    store,
	})
}

// BenchmarkResolveColdClient resolves every image with a new client and no
// cache each time: ping, token, manifest and config for every repository,
// as a first plan on a machine with an empty cache.
func BenchmarkResolveColdClient(b *testing.B) {
	reg, refs := benchRegistry(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		c := benchClient(reg, nil)
		for _, ref := range refs {
			if _, err := c.Resolve(ctx, ref, nil); err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
	}
	b.ReportMetric(float64(len(reg.Requests.All()))/float64(b.N*len(refs)), "requests/image")
}

// BenchmarkResolveWarmClient resolves every image again with one client and
// a warm cache: one HEAD per tag, as every plan after the first.
func BenchmarkResolveWarmClient(b *testing.B) {
	reg, refs := benchRegistry(b)
	ctx := context.Background()
	store, err := cache.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	c := benchClient(reg, store)
	defer c.Close()
	for _, ref := range refs {
		if _, err := c.Resolve(ctx, ref, nil); err != nil {
			b.Fatal(err)
		}
	}
	reg.Requests.Reset()
	b.ResetTimer()
	for b.Loop() {
		for _, ref := range refs {
			if _, err := c.Resolve(ctx, ref, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(reg.Requests.All()))/float64(b.N*len(refs)), "requests/image")
}
