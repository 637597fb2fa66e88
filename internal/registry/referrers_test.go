package registry

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

const (
	sbomType   = "application/spdx+json"
	bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// pushWithReferrers pushes app:1 and two referrers of it (an SBOM and a
// bundle), and returns the image's digest and the referrers' digests in push
// order.
func pushWithReferrers(t *testing.T, reg *registrytest.Registry) (string, []string) {
	t.Helper()
	ctx := context.Background()
	img, err := reg.PushImage(ctx, "app:1")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	var refs []string
	for _, a := range []registrytest.Artifact{
		{ArtifactType: sbomType, Layers: []registrytest.Blob{{MediaType: sbomType, Data: []byte(`{"spdxVersion":"SPDX-2.3"}`)}},
			Subject: h.String(), Annotations: map[string]string{"kind": "sbom"}},
		{ArtifactType: bundleType, Layers: []registrytest.Blob{{MediaType: bundleType, Data: []byte(`{}`)}},
			Subject: h.String(), Annotations: map[string]string{"kind": "bundle"}},
	} {
		d, err := reg.PushArtifact(ctx, "app", "", a)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, d)
	}
	return h.String(), refs
}

func referrerDigests(r *Referrers) []string {
	var out []string
	for _, x := range r.Referrers {
		out = append(out, x.Digest)
	}
	return out
}

// TestReferrersAPI reads the referrers API, every page of it, filtered by
// the registry when a type is asked for, and reads each referrer's manifest
// once: a second read costs the list alone.
func TestReferrersAPI(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Referrers: true, ReferrersPageSize: 1})
	subject, refs := pushWithReferrers(t, reg)
	c := cachedClient(t, reg, t.TempDir())
	ref := mustParse(t, reg.Host+"/app@"+subject)

	got, err := c.Referrers(context.Background(), ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.FromTag || !slices.Equal(referrerDigests(got), refs) {
		t.Fatalf("referrers = %v (from tag: %v), want %v from the API", referrerDigests(got), got.FromTag, refs)
	}
	if a := got.Referrers[0]; a.ArtifactType != sbomType || a.Annotations["kind"] != "sbom" || len(a.Layers) != 1 {
		t.Errorf("first referrer = %+v, want the SBOM with its annotations and layer", a)
	}
	if n := reg.Count(http.MethodGet, "/v2/app/referrers/"); n != 2 {
		t.Errorf("%d pages read, want 2 of 1 entry each", n)
	}
	if n := reg.Count("", "/v2/app/manifests/sha256-"); n != 0 {
		t.Errorf("the fallback tag was asked %d times; the registry has the API", n)
	}

	reg.Requests.Reset()
	got, err = c.Referrers(context.Background(), ref, bundleType)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(referrerDigests(got), refs[1:]) {
		t.Fatalf("bundle referrers = %v, want %v", referrerDigests(got), refs[1:])
	}
	for _, r := range reg.Requests.All() {
		if !strings.HasPrefix(r.Path, "/v2/app/referrers/") || !strings.Contains(r.RawQuery, "artifactType=") {
			t.Errorf("warm filtered read sent %s %s?%s; want only the filtered list", r.Method, r.Path, r.RawQuery)
		}
	}
}

// TestReferrersFallbackTag: a registry without the API (distribution v3
// answers 404) is read through the fallback tag, the registry is remembered
// as such for the run, and the tag is confirmed with a HEAD once cached.
func TestReferrersFallbackTag(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	subject, refs := pushWithReferrers(t, reg)
	c := cachedClient(t, reg, t.TempDir())
	ref := mustParse(t, reg.Host+"/app@"+subject)

	got, err := c.Referrers(context.Background(), ref, sbomType)
	if err != nil {
		t.Fatal(err)
	}
	if !got.FromTag || !slices.Equal(referrerDigests(got), refs[:1]) {
		t.Fatalf("referrers = %v (from tag: %v), want %v from the fallback tag", referrerDigests(got), got.FromTag, refs[:1])
	}
	if n := reg.Count(http.MethodGet, "/v2/app/referrers/"); n != 1 {
		t.Errorf("referrers API asked %d times, want 1", n)
	}

	reg.Requests.Reset()
	if _, err := c.Referrers(context.Background(), ref, ""); err != nil {
		t.Fatal(err)
	}
	all := reg.Requests.All()
	if len(all) != 1 || all[0].Method != http.MethodHead || all[0].Path != "/v2/app/manifests/"+FallbackTag(subject) {
		t.Fatalf("warm read sent %+v, want one HEAD of the fallback tag", all)
	}
}

// TestReferrersTrustTheManifest: a registry that lists the config media type
// as each referrer's artifactType is corrected by the manifests, and a
// filter the registry applied by its own reading is applied again.
func TestReferrersTrustTheManifest(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Referrers: true, ReferrersConfigArtifactType: true})
	subject, refs := pushWithReferrers(t, reg)
	c := New(Options{Keychain: auth.Keychain(auth.NewStatic(nil))})
	t.Cleanup(c.Close)
	got, err := c.Referrers(context.Background(), mustParse(t, reg.Host+"/app@"+subject), "")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range got.Referrers {
		types = append(types, r.ArtifactType)
	}
	if !slices.Equal(referrerDigests(got), refs) || !slices.Equal(types, []string{sbomType, bundleType}) {
		t.Fatalf("referrers %v of types %v, want %v of types from their manifests", referrerDigests(got), types, refs)
	}
	// Filtering by its own reading, the registry finds no bundle: the
	// unfiltered list and the manifests do.
	got, err = c.Referrers(context.Background(), mustParse(t, reg.Host+"/app@"+subject), bundleType)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(referrerDigests(got), refs[1:]) {
		t.Fatalf("bundle referrers %v, want %v", referrerDigests(got), refs[1:])
	}
}

// TestReferrersNone: no referrers is an empty list, with and without the
// API.
func TestReferrersNone(t *testing.T) {
	for _, api := range []bool{true, false} {
		reg := registrytest.New(t, registrytest.Options{Referrers: api})
		img, err := reg.PushImage(context.Background(), "app:1")
		if err != nil {
			t.Fatal(err)
		}
		c := New(Options{Keychain: auth.Keychain(auth.NewStatic(nil))})
		t.Cleanup(c.Close)
		got, err := c.Referrers(context.Background(), mustParse(t, reg.Host+"/app:1"), "")
		if err != nil {
			t.Fatalf("api %v: %v", api, err)
		}
		h, _ := img.Digest()
		if got.Subject.Digest != h.String() || got.Referrers == nil || len(got.Referrers) != 0 || got.FromTag == api {
			t.Errorf("api %v: got %+v, want an empty list for %s", api, got, h)
		}
	}
}

func TestFallbackTag(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	hex128 := strings.Repeat("cd", 64)
	if got := FallbackTag("sha256:" + hex64); got != "sha256-"+hex64 {
		t.Errorf("sha256: %s", got)
	}
	if got := FallbackTag("sha512:" + hex128); got != "sha512-"+hex128[:64] {
		t.Errorf("sha512: %s, want the hex truncated to 64", got)
	}
}
