package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/dialect"
)

// TestTokenServerAnswers: a failure is the token service's unless it came
// from a registry API path, so that realms under /v2/ (Google's /v2/token,
// Quay's /v2/auth) count as token services too.
func TestTokenServerAnswers(t *testing.T) {
	for path, api := range map[string]bool{
		"/v2/":                                 true,
		"/v2/team/app/manifests/1":             true,
		"/v2/a/b/c/manifests/sha256:abc":       true,
		"/v2/team/app/blobs/sha256:abc":        true,
		"/v2/team/app/tags/list":               true,
		"/v2/team/app/referrers/sha256:abc":    true,
		"/v2/token":                            false,
		"/v2/auth":                             false,
		"/token":                               false,
		"/oauth2/token":                        false,
		"/service/token":                       false,
		"/jwt/auth":                            false,
		"/artifactory/api/docker/key/v2/token": false,
	} {
		e := classify(&transport.Error{StatusCode: http.StatusForbidden, Request: &http.Request{URL: &url.URL{Path: path}}}, Error{})
		if e.TokenServer == api {
			t.Errorf("%s: TokenServer = %v, want %v", path, e.TokenServer, !api)
		}
	}
}

// TestRefusalFacts: the registry's message and the pull quota of a refusal
// are kept for the diagnostic, the message made printable.
func TestRefusalFacts(t *testing.T) {
	h := http.Header{}
	h.Set("RateLimit-Limit", "100;w=21600")
	h.Set("RateLimit-Remaining", "0;w=21600")
	body := `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit.\u001b[2J"}]}`
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: io.NopCloser(strings.NewReader(body)),
		Request: &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v2/library/nginx/manifests/1"}}}
	e := classify(checkAnswer(resp), Error{})
	if e.Class != ClassRateLimited || e.Quota == nil || *e.Quota != (PullQuota{Limit: 100, Remaining: 0, Window: 6 * time.Hour}) {
		t.Errorf("class %s, quota %+v; want rate-limited, 100 per 6h, 0 left", e.Class, e.Quota)
	}
	if len(e.Messages) != 1 || e.Messages[0] != "You have reached your pull rate limit.\uFFFD[2J" {
		t.Errorf("messages %q", e.Messages)
	}
	for _, tt := range []struct {
		limit, remaining string
		want             *PullQuota
	}{
		{"5000", "4999", &PullQuota{Limit: 5000, Remaining: 4999}},
		{"100;w=21600", "", nil},
		{"many", "1", nil},
		{"-1", "0", nil},
		{"10;w=60;burst=5", "3;w=60", &PullQuota{Limit: 10, Remaining: 3, Window: time.Minute}},
	} {
		h := http.Header{}
		h.Set("RateLimit-Limit", tt.limit)
		if tt.remaining != "" {
			h.Set("RateLimit-Remaining", tt.remaining)
		}
		got := pullQuotaOf(h)
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("%q, %q: %+v, want %+v", tt.limit, tt.remaining, got, tt.want)
		}
	}
}

// TestTagsLinkOnOwnPath: Artifactory's next-page Link drops the repository
// key from the path; its query (the cursor) is followed on the repository's
// own tag list, and every tag is listed.
func TestTagsLinkOnOwnPath(t *testing.T) {
	ctx := context.Background()
	f := dialect.New(t, dialect.Artifactory(), dialect.Options{Users: map[string]string{user: password}})
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	if _, err := f.PushTags(ctx, "docker-local/app", want...); err != nil {
		t.Fatal(err)
	}
	c := New(Options{Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{f.Host: {Username: user, Password: password}})), TagPageSize: 10})
	t.Cleanup(c.Close)
	got, err := c.Tags(ctx, mustParse(t, f.Reference("docker-local/app")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("tags %q, want %q", got, want)
	}
	pages := 0
	for _, r := range f.Requests().All() {
		switch {
		case r.Path == "/v2/docker-local/app/tags/list":
			pages++
			if pages > 1 && !strings.Contains(r.RawQuery, "last=") {
				t.Errorf("page %d asked without the Link's cursor: %q", pages, r.RawQuery)
			}
		case strings.HasSuffix(r.Path, "/tags/list"):
			t.Errorf("a page was asked of %s", r.Path)
		}
	}
	if pages != 3 {
		t.Errorf("%d pages read, want 3", pages)
	}
}
