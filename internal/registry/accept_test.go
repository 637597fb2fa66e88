package registry

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAcceptHeaderPreventsSchema1Rewrite: every manifest request lists each
// manifest type the provider describes; a registry that rewrites Docker
// schema 2 to schema 1 for clients that do not list it (as distribution
// before v3 and Docker Hub did) therefore serves the schema 2 image, which
// reads.
func TestAcceptHeaderPreventsSchema1Rewrite(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var accepts []string
	reg := registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				mu.Lock()
				accepts = append(accepts, r.Header.Get("Accept"))
				mu.Unlock()
			}
			registrytest.Schema1Rewrite(next).ServeHTTP(w, r)
		})
	}})
	img, err := reg.PushImage(ctx, "team/app:1", registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	c := newClient(t, reg, auth.Credentials{})
	m, err := c.Manifest(ctx, mustParse(t, reg.Host+"/team/app:1"))
	if err != nil {
		t.Fatalf("a Docker schema 2 image through a registry that rewrites to schema 1: %v", err)
	}
	if m.MediaType != string(types.DockerManifestSchema2) || m.Digest != want.String() {
		t.Errorf("read %s %s, want the schema 2 image %s", m.MediaType, m.Digest, want)
	}
	if len(accepts) == 0 {
		t.Fatal("no manifest request was seen")
	}
	for _, a := range accepts {
		for _, mt := range []types.MediaType{types.OCIImageIndex, types.OCIManifestSchema1, types.DockerManifestList, types.DockerManifestSchema2} {
			if !strings.Contains(a, string(mt)) {
				t.Errorf("a manifest request's Accept %q lacks %s", a, mt)
			}
		}
	}
}
