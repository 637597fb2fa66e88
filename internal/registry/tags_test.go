package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// pushTags pushes one image under every tag given.
func pushTags(t *testing.T, reg *registrytest.Registry, repo string, tags []string) {
	t.Helper()
	ctx := context.Background()
	img, err := reg.PushImage(ctx, repo+":"+tags[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	for _, tag := range tags[1:] {
		if err := reg.PushRaw(ctx, repo, tag, string(mt), raw); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTagsPaging reads every page, sending n and following the registry's
// Link header.
func TestTagsPaging(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	var want []string
	for i := range 35 {
		want = append(want, fmt.Sprintf("t%03d", i))
	}
	pushTags(t, reg, "team/app", want)
	c := New(Options{Keychain: auth.Keychain(auth.NewStatic(nil)), TagPageSize: 10})
	t.Cleanup(c.Close)

	got, err := c.Tags(context.Background(), mustParse(t, reg.Host+"/team/app"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("tags = %q, want %q", got, want)
	}
	var pages []string
	for _, r := range reg.Requests.All() {
		if r.Path == "/v2/team/app/tags/list" {
			pages = append(pages, r.RawQuery)
		}
	}
	if len(pages) != 4 {
		t.Fatalf("%d pages read (%q), want 4 of up to 10", len(pages), pages)
	}
	if pages[0] != "n=10" || !strings.Contains(pages[1], "last=t009") {
		t.Errorf("queries %q: want n=10 first, then the registry's links", pages)
	}
}

// TestTagsUnknownRepository: a repository the registry does not know has no
// tags, rather than an error.
func TestTagsUnknownRepository(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	// Pushed by digest only: distribution knows no tags and answers
	// NAME_UNKNOWN, as for a repository that does not exist.
	img, err := reg.PushImage(ctx, "team/app:x")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.RawConfigFile()
	blobs := [][]byte{cfg}
	layers, _ := img.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	for _, b := range blobs {
		if _, err := reg.PushBlob(ctx, "team/untagged", b); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	d, _ := img.Digest()
	if err := reg.PushRaw(ctx, "team/untagged", d.String(), string(mt), raw); err != nil {
		t.Fatal(err)
	}
	// Every tag deleted: distribution answers with an empty list.
	pushTags(t, reg, "team/deleted", []string{"1"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, reg.URL+"/v2/team/deleted/manifests/1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("deleting the tag: %s", resp.Status)
	}
	c := anonymous(t, reg)
	for _, repo := range []string{"team/nothing", "team/untagged", "team/deleted"} {
		got, err := c.Tags(ctx, mustParse(t, reg.Host+"/"+repo))
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%s: tags = %#v, %v; want an empty list", repo, got, err)
		}
	}
	// Both answers were seen: NAME_UNKNOWN, and an empty list.
	statuses := map[string]int{}
	for _, r := range reg.Requests.All() {
		if strings.HasSuffix(r.Path, "/tags/list") {
			statuses[r.Path] = r.Status
		}
	}
	if statuses["/v2/team/untagged/tags/list"] != http.StatusNotFound || statuses["/v2/team/deleted/tags/list"] != http.StatusOK {
		t.Errorf("tag list statuses %v: want 404 for the untagged repository and 200 for the one whose tags were deleted", statuses)
	}
}

// TestTagsFailures: other failures are classified errors, and links that
// leave the registry or go round in circles are refused.
func TestTagsFailures(t *testing.T) {
	ctx := context.Background()
	link := func(target string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/tags/list") {
					w.Header().Set("Link", "<"+target+">; rel=\"next\"")
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"name":"x","tags":["a"]}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	tests := []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		class Class
		text  string
	}{
		{"denied", registrytest.Fault(registrytest.Match("GET", "/v2/team/"), registrytest.Respond(http.StatusForbidden, "DENIED")), ClassDenied, ""},
		{"not found without NAME_UNKNOWN", registrytest.Fault(registrytest.Match("GET", "/v2/team/"), registrytest.Respond(http.StatusNotFound, "NOT_FOUND")), ClassNotFound, ""},
		{"link to another host", link("http://example.com/v2/team/app/tags/list?last=a"), ClassMalformed, "not on the registry"},
		{"link to itself", link("/v2/team/app/tags/list?n=1000"), ClassMalformed, "links back"},
		{"not JSON", registrytest.Fault(registrytest.Match("GET", "/v2/team/app/tags/list"), func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>"))
		}), ClassMalformed, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{Wrap: tt.wrap})
			_, err := anonymous(t, reg).Tags(ctx, mustParse(t, reg.Host+"/team/app"))
			e := wantClass(t, err, tt.class, tt.text)
			if e.Repository != "team/app" || e.Identifier != "" {
				t.Errorf("error names %q %q, want the repository and no tag", e.Repository, e.Identifier)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		values []string
		want   string
		bad    bool
	}{
		{nil, "", false},
		{[]string{`</v2/a/tags/list?last=x&n=10>; rel="next"`}, "/v2/a/tags/list?last=x&n=10", false},
		{[]string{`<https://r.example/v2/a/tags/list?last=x>; rel=next`}, "https://r.example/v2/a/tags/list?last=x", false},
		{[]string{`</first>; rel="first", </next>; rel="next"`}, "/next", false},
		{[]string{`</prev>; rel="prev"`, `</next>; title="a, b; c"; rel="prefetch next"`}, "/next", false},
		{[]string{`</x>; REL="Next"`}, "/x", false},
		{[]string{`</prev>; rel="prev"`}, "", false},
		{[]string{`/no-brackets; rel="next"`}, "", true},
		{[]string{`</unclosed; rel="next"`}, "", true},
	}
	for _, tt := range tests {
		got, err := nextLink(tt.values)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("nextLink(%q) = %q, %v; want %q (error: %v)", tt.values, got, err, tt.want, tt.bad)
		}
	}
}
