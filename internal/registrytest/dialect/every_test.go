package dialect

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestEveryFront proves, for every dialect, the situations set up the same
// way everywhere: RateLimit answers the next request with a 429 and only
// that one, and a client fetches a config blob through either redirect
// mode, the CDN receiving no credential.
func TestEveryFront(t *testing.T) {
	for _, d := range []*Dialect{DockerHub(), GHCR(), ECR(), ECRPublic(), Google(""), ACR(), Quay(), QuayLegacy(), Harbor(), GitLab(), Artifactory(), Nexus()} {
		t.Run(d.Name, func(t *testing.T) {
			e := newEnv(t, d, Options{})
			e.f.RateLimit(1)
			if r := e.get(http.MethodGet, manifestPub, alice, alicePW); r.status != http.StatusTooManyRequests {
				t.Errorf("rate limited: %v, want 429", r)
			}
			if r := e.get(http.MethodGet, manifestPub, alice, alicePW); r.status != http.StatusOK {
				t.Errorf("after the limit: %v, want 200", r)
			}
			for _, mode := range []Redirect{RedirectCDN, RedirectRelative} {
				e.f.RedirectBlobs(mode)
				cdn, relative := e.f.CDNRequests().Count(http.MethodGet, "/"), e.relativeFetches()
				img, err := remote.Image(e.ref("team/app:1"), e.ggcr(alice, alicePW)...)
				if err == nil {
					_, err = img.RawConfigFile()
				}
				if err != nil {
					t.Fatalf("config blob with redirect mode %d: %v", mode, err)
				}
				switch {
				case mode == RedirectCDN && e.f.CDNRequests().Count(http.MethodGet, "/") == cdn:
					t.Error("the config blob did not come from the CDN")
				case mode == RedirectRelative && e.relativeFetches() == relative:
					t.Error("the config blob did not come through the relative Location")
				}
			}
			for _, r := range e.f.CDNRequests().All() {
				if r.HasAuthorization {
					t.Errorf("the CDN received credentials: %+v", r)
				}
			}
		})
	}
}

// relativeFetches counts requests for relative redirect targets.
func (e *env) relativeFetches() int {
	n := 0
	for _, r := range e.f.Requests().All() {
		if strings.HasPrefix(r.Path, e.f.relativePrefix()) {
			n++
		}
	}
	return n
}
