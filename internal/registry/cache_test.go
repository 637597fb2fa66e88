package registry

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// requestKinds counts a registry's requests the way make bench reports them.
type requestKinds struct{ ping, head, manifest, blob int }

func countKinds(reg *registrytest.Registry) requestKinds {
	var k requestKinds
	for _, r := range reg.Requests.All() {
		switch {
		case r.Path == "/v2/":
			k.ping++
		case strings.Contains(r.Path, "/manifests/") && r.Method == http.MethodHead:
			k.head++
		case strings.Contains(r.Path, "/manifests/"):
			k.manifest++
		case strings.Contains(r.Path, "/blobs/"):
			k.blob++
		}
	}
	return k
}

func cachedClient(t *testing.T, reg *registrytest.Registry, dir string) *Client {
	t.Helper()
	store, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := New(Options{
		Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: {Username: user, Password: password}})),
		Cache:    store,
	})
	t.Cleanup(c.Close)
	return c
}

// TestCacheRequestFloor: a cold cache costs a manifest GET and a config GET
// per image and no HEAD; a warm one (a new client, as in the next plan) one
// HEAD per tag; a cached digest nothing at all, not even a ping. One ping
// per registry and one token per repository in each run.
func TestCacheRequestFloor(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	repos := []string{"a/one", "b/two", "c/three"}
	for _, r := range repos {
		for _, tag := range []string{"1", "2"} {
			if _, err := reg.PushImage(ctx, r+":"+tag); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	readAll := func(c *Client) map[string]string {
		digests := map[string]string{}
		for _, r := range repos {
			for _, tag := range []string{"1", "2"} {
				res, err := c.Resolve(ctx, mustParse(t, reg.Host+"/"+r+":"+tag), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Image == nil || res.Image.OS == "" {
					t.Fatalf("%s:%s: config not read", r, tag)
				}
				digests[r+":"+tag] = res.Digest
			}
		}
		return digests
	}

	first := readAll(cachedClient(t, reg, dir))
	if got, want := countKinds(reg), (requestKinds{ping: 1, manifest: 6, blob: 6}); got != want {
		t.Errorf("cold cache: %+v, want %+v", got, want)
	}
	if n := len(reg.TokenRequests.All()); n != len(repos) {
		t.Errorf("cold cache: %d token requests, want one per repository (%d)", n, len(repos))
	}

	reg.Requests.Reset()
	reg.TokenRequests.Reset()
	second := readAll(cachedClient(t, reg, dir))
	if got, want := countKinds(reg), (requestKinds{ping: 1, head: 6}); got != want {
		t.Errorf("warm cache: %+v, want %+v", got, want)
	}
	if n := len(reg.TokenRequests.All()); n != len(repos) {
		t.Errorf("warm cache: %d token requests, want %d", n, len(repos))
	}
	for k, d := range first {
		if second[k] != d {
			t.Errorf("%s: %s from the cache, %s from the registry", k, second[k], d)
		}
	}

	reg.Requests.Reset()
	c := cachedClient(t, reg, dir)
	if _, err := c.Resolve(ctx, mustParse(t, reg.Host+"/a/one@"+first["a/one:1"]), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(reg.Requests.All()); n != 0 {
		t.Errorf("a cached digest cost %d requests, want none", n)
	}
}

// TestCacheTagMoved: when a tag moves, the HEAD no longer confirms the cached
// digest, and the tag is read again with one GET (by tag: a HEAD's digest is
// never believed beyond confirming, see headConfirms); the result is the new
// image.
func TestCacheTagMoved(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	if _, err := reg.PushImage(ctx, "app:v1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ref := mustParse(t, reg.Host+"/app:v1")
	before, err := cachedClient(t, reg, dir).Manifest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	reg.Requests.Reset()
	after, err := cachedClient(t, reg, dir).Manifest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if after.Digest != want.String() || after.Digest == before.Digest {
		t.Fatalf("after the tag moved: %s, want %s", after.Digest, want)
	}
	if got := countKinds(reg); got.head != 1 || got.manifest != 1 {
		t.Errorf("a moved tag cost %+v, want one HEAD and one GET", got)
	}
	for _, r := range reg.Requests.All() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/") && r.Path != "/v2/app/manifests/v1" {
			t.Errorf("the new content was fetched as %s, not by its tag", r.Path)
		}
	}
}

// TestCacheHEADRefused: registries that refuse HEAD (403, 405) are read
// with GET; one that omits Docker-Content-Digest too.
func TestCacheHEADRefused(t *testing.T) {
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusForbidden, http.StatusOK} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ctx := context.Background()
			wrap := registrytest.Fault(registrytest.Match(http.MethodHead, "/v2/app/manifests/"), func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(status) // for 200: no Docker-Content-Digest
			})
			reg := registrytest.New(t, registrytest.Options{Wrap: wrap})
			if _, err := reg.PushImage(ctx, "app:v1"); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			ref := mustParse(t, reg.Host+"/app:v1")
			first, err := cachedClient(t, reg, dir).Manifest(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			reg.Requests.Reset()
			second, err := cachedClient(t, reg, dir).Manifest(ctx, ref)
			if err != nil {
				t.Fatalf("HEAD answered %d: %v", status, err)
			}
			if second.Digest != first.Digest {
				t.Errorf("got %s, want %s", second.Digest, first.Digest)
			}
			if got := countKinds(reg); got.head != 1 || got.manifest != 1 {
				t.Errorf("HEAD answered %d: %+v, want one HEAD then one GET", status, got)
			}
		})
	}
}

// TestCacheTampered: an entry altered on disk is refetched, never used.
func TestCacheTampered(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	img, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	dir := t.TempDir()
	ref := mustParse(t, reg.Host+"/app@"+d.String())
	if _, err := cachedClient(t, reg, dir).Manifest(ctx, ref); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(dir, "blobs", "sha256", d.Hex)
	if err := os.WriteFile(entry, []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	reg.Requests.Reset()
	m, err := cachedClient(t, reg, dir).Manifest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest != d.String() {
		t.Errorf("got %s, want %s", m.Digest, d)
	}
	if countKinds(reg).manifest != 1 {
		t.Error("the tampered entry was used instead of fetching the manifest again")
	}
}
