package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/dialect"
)

// TestHEADOnlyConfirms: a warm read of a tag trusts HEAD only when it
// confirms the cached manifest (digest, media type, size). Every way real
// registries misanswer HEAD costs one GET of the tag and yields the index's
// own digest: never the linux/amd64 image's that Docker Hub's HEAD names
// (which is cached too, from the cold read with a platform), and never a
// failure from the HEAD's status.
func TestHEADOnlyConfirms(t *testing.T) {
	ctx := context.Background()
	amd64 := &platform.Platform{OS: "linux", Architecture: "amd64"}
	for _, tt := range []struct {
		name  string
		quirk dialect.HeadQuirk
		// wrap answers HEAD itself, in front of the dialect.
		wrap func(http.Handler) http.Handler
		gets int
	}{
		{name: "confirming HEAD", quirk: dialect.HeadNormal, gets: 0},
		{name: "HEAD without digest (Nexus)", quirk: dialect.HeadNoDigest, gets: 1},
		{name: "no digest at all (ECR)", quirk: dialect.NoDigest, gets: 1},
		{name: "octet-stream (Artifactory)", quirk: dialect.HeadOctetStream, gets: 1},
		{name: "linux/amd64 image's digest (Docker Hub)", quirk: dialect.HeadIndexChild, gets: 1},
		{name: "redirect to GET-signed storage (GitLab)", quirk: dialect.HeadRedirectGET, gets: 1},
		{name: "405", quirk: dialect.HeadNotAllowed, gets: 1},
		{name: "404", gets: 1, wrap: registrytest.Fault(registrytest.Match(http.MethodHead, "/v2/pub/multi/manifests/"),
			func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })},
		{name: "right digest, another size", gets: 1, wrap: headLength(+1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := dialect.New(t, dialect.DockerHub(), dialect.Options{Users: map[string]string{user: password}, Registry: registrytest.Options{Wrap: tt.wrap}})
			idx, err := f.Registry.PushIndex(ctx, "pub/multi:1", []v1.Platform{{OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "amd64"}})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := idx.Digest()
			dir := t.TempDir()
			ref := mustParse(t, f.Reference("pub/multi:1"))
			if _, err := cachedClient(t, f.Registry, dir).Resolve(ctx, ref, amd64); err != nil {
				t.Fatal(err)
			}
			f.SetHEAD(tt.quirk)
			f.Requests().Reset()
			got, err := cachedClient(t, f.Registry, dir).Resolve(ctx, ref, nil)
			if err != nil {
				t.Fatalf("warm read: %v", err)
			}
			if got.Digest != want.String() || !IsIndex(got.MediaType) {
				t.Fatalf("warm read gave %s (%s), want the index %s", got.Digest, got.MediaType, want)
			}
			heads, gets := 0, 0
			for _, r := range f.Requests().All() {
				switch {
				case r.Method == http.MethodHead && r.Path == "/v2/pub/multi/manifests/1":
					heads++
				case r.Method == http.MethodGet && r.Path == "/v2/pub/multi/manifests/1":
					gets++
				case r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/"):
					t.Errorf("the warm read fetched %s, not the tag", r.Path)
				}
			}
			if heads != 1 || gets != tt.gets {
				t.Errorf("%d HEAD and %d GET of the tag, want 1 and %d", heads, gets, tt.gets)
			}
		})
	}
}

// headLength answers manifest HEADs with a Content-Length off by delta.
func headLength(delta int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodHead || !strings.Contains(r.URL.Path, "/manifests/") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			n, _ := strconv.Atoi(rec.Header().Get("Content-Length"))
			w.Header().Set("Content-Length", strconv.Itoa(n+delta))
			w.WriteHeader(rec.Code)
		})
	}
}
