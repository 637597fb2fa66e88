package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// digestsConfig renders one imageinfo_digests data source "all".
func digestsConfig(refs map[string]string, platform string) string {
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("data \"imageinfo_digests\" \"all\" {\n  references = {\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "    %q = %q\n", k, refs[k])
	}
	b.WriteString("  }\n")
	if platform != "" {
		fmt.Fprintf(&b, "  platform = %q\n", platform)
	}
	b.WriteString("}\n")
	return b.String()
}

// expectDigest checks images[key] and pinned[key] against what
// go-containerregistry computed for the pushed content.
func expectDigest(key, registry, repository string, tag knownvalue.Check, p pushed, imageDigest knownvalue.Check) []statecheck.StateCheck {
	const addr = "data.imageinfo_digests.all"
	at := func(attr string) tfjsonpath.Path { return tfjsonpath.New("images").AtMapKey(key).AtMapKey(attr) }
	pin := registry + "/" + repository + "@" + p.digest
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, at("registry"), knownvalue.StringExact(registry)),
		statecheck.ExpectKnownValue(addr, at("repository"), knownvalue.StringExact(repository)),
		statecheck.ExpectKnownValue(addr, at("tag"), tag),
		statecheck.ExpectKnownValue(addr, at("digest"), knownvalue.StringExact(p.digest)),
		statecheck.ExpectKnownValue(addr, at("media_type"), knownvalue.StringExact(p.mediaType)),
		statecheck.ExpectKnownValue(addr, at("size"), knownvalue.Int64Exact(int64(len(p.raw)))),
		statecheck.ExpectKnownValue(addr, at("pinned_reference"), knownvalue.StringExact(pin)),
		statecheck.ExpectKnownValue(addr, at("image_digest"), imageDigest),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("pinned").AtMapKey(key), knownvalue.StringExact(pin)),
	}
}

// manifestRequests counts the registry's manifest requests by method and
// path.
func manifestRequests(reg *registrytest.Registry) map[string]int {
	n := map[string]int{}
	for _, r := range reg.Requests.All() {
		if strings.Contains(r.Path, "/manifests/") {
			n[r.Method+" "+r.Path]++
		}
	}
	return n
}

// pushDigestFixtures pushes an image, a Docker image and a two-platform
// index, and returns go-containerregistry's view of them and the index's
// linux/arm64 entry.
func pushDigestFixtures(t *testing.T, reg *registrytest.Registry) (app, docker, multi pushed, arm64 string) {
	t.Helper()
	ctx := context.Background()
	img, err := reg.PushImage(ctx, "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.PushRaw(ctx, "team/app", "latest", mustMediaType(t, img), mustRaw(t, img)); err != nil {
		t.Fatal(err)
	}
	dockerImg, err := reg.PushImage(ctx, "team/app:docker", registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := reg.PushIndex(ctx, "team/multi:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}})
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Architecture == "arm64" {
			arm64 = d.Digest.String()
		}
	}
	return manifestOf(t, img), manifestOf(t, dockerImg), manifestOf(t, idx), arm64
}

func mustRaw(t *testing.T, m manifestSource) []byte {
	t.Helper()
	raw, err := m.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustMediaType(t *testing.T, m manifestSource) string {
	t.Helper()
	mt, err := m.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	return string(mt)
}

// TestAccDigests_Values resolves tags, a name alone, a reference by digest
// and an index through the token flow, and checks every attribute against
// go-containerregistry's view of what was pushed. Each distinct reference
// costs one HEAD per read, references equal after normalisation (the same
// string under two keys, a name and its :latest) share theirs, and no
// manifest is ever fetched: no GET counts against a pull limit.
func TestAccDigests_Values(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	app, docker, multi, _ := pushDigestFixtures(t, reg)
	h := reg.Host
	refs := map[string]string{
		"tag":            h + "/team/app:1",
		"tag_too":        h + "/team/app:1",
		"name":           h + "/team/app",
		"latest":         h + "/team/app:latest",
		"digest":         h + "/team/app@" + app.digest,
		"docker":         h + "/team/app:docker",
		"index":          h + "/team/multi:1",
		"tag_and_digest": h + "/team/app:docker@" + app.digest,
	}
	var checks []statecheck.StateCheck
	for _, c := range []struct {
		key, repo string
		tag       knownvalue.Check
		p         pushed
		image     knownvalue.Check
	}{
		{"tag", "team/app", knownvalue.StringExact("1"), app, knownvalue.StringExact(app.digest)},
		{"tag_too", "team/app", knownvalue.StringExact("1"), app, knownvalue.StringExact(app.digest)},
		{"name", "team/app", knownvalue.StringExact("latest"), app, knownvalue.StringExact(app.digest)},
		{"latest", "team/app", knownvalue.StringExact("latest"), app, knownvalue.StringExact(app.digest)},
		{"digest", "team/app", knownvalue.Null(), app, knownvalue.StringExact(app.digest)},
		{"docker", "team/app", knownvalue.StringExact("docker"), docker, knownvalue.StringExact(docker.digest)},
		// Without platform, an index has no single image.
		{"index", "team/multi", knownvalue.StringExact("1"), multi, knownvalue.Null()},
		// The digest wins over the tag, as in Docker; the tag is still reported.
		{"tag_and_digest", "team/app", knownvalue.StringExact("docker"), app, knownvalue.StringExact(app.digest)},
	} {
		checks = append(checks, expectDigest(c.key, h, c.repo, c.tag, c.p, c.image)...)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) + digestsConfig(refs, ""),
			ConfigStateChecks: checks,
		}},
	})

	got := manifestRequests(reg)
	// Five distinct questions: app:1, app:latest, app@digest (twice, once
	// with a tag), app:docker, multi:1.
	distinct := []string{
		"/v2/team/app/manifests/1", "/v2/team/app/manifests/latest", "/v2/team/app/manifests/" + app.digest,
		"/v2/team/app/manifests/docker", "/v2/team/multi/manifests/1",
	}
	reads := got["HEAD "+distinct[0]]
	if reads == 0 {
		t.Fatalf("no HEAD of %s; manifest requests: %v", distinct[0], got)
	}
	total := 0
	for _, p := range distinct {
		if n := got["HEAD "+p]; n != reads {
			t.Errorf("HEAD %s: %d requests, want %d (one per read, like every other distinct reference); all: %v", p, n, reads, got)
		}
	}
	for k, n := range got {
		total += n
		if strings.HasPrefix(k, "GET ") {
			t.Errorf("%s: %d requests; imageinfo_digests must not GET manifests when HEAD answers", k, n)
		}
	}
	if total != reads*len(distinct) {
		t.Errorf("%d manifest requests, want %d (one HEAD per distinct reference and read): %v", total, reads*len(distinct), got)
	}
}

// TestAccDigests_Platform chooses image_digest from an index's entries (arm64
// is arm64/v8) by reading the index, not the image; a single image is taken
// as it is; an index without the platform fails its key, listing what it
// offers.
func TestAccDigests_Platform(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	app, _, multi, arm64 := pushDigestFixtures(t, reg)
	h := reg.Host
	refs := map[string]string{"index": h + "/team/multi:1", "image": h + "/team/app:1"}
	checks := append(expectDigest("index", h, "team/multi", knownvalue.StringExact("1"), multi, knownvalue.StringExact(arm64)),
		expectDigest("image", h, "team/app", knownvalue.StringExact("1"), app, knownvalue.StringExact(app.digest))...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("") + digestsConfig(refs, "linux/arm64"),
				ConfigStateChecks: checks,
			},
			{
				Config:      providerConfig("") + digestsConfig(refs, "windows/amd64"),
				ExpectError: wrapped(`No Matching Platform.*Key "index", reference "` + regexp.QuoteMeta(h) + `/team/multi:1": no matching platform.*it offers linux/amd64, linux/arm64/v8`),
			},
		},
	})
	for k := range manifestRequests(reg) {
		if strings.HasPrefix(k, "GET ") && !strings.Contains(k, "/team/multi/manifests/"+multi.digest) {
			t.Errorf("%s: only the index may be fetched for platform, never an image", k)
		}
	}
}

// TestAccDigests_Failures: every failed key gets its own error naming the key,
// the reference and the failure class, in one read; the keys that resolved
// do not hide them.
func TestAccDigests_Failures(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{
		Auth:               registrytest.AuthToken,
		Users:              map[string]string{testUser: testPassword},
		PublicRepositories: []string{"team/*"},
	})
	pushDigestFixtures(t, reg)
	h := reg.Host
	refs := map[string]string{
		"good":         h + "/team/app:1",
		"missing_tag":  h + "/team/app:nope",
		"missing_repo": h + "/team/nothere:1",
		"private":      h + "/private/app:1",
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: providerConfig("") + digestsConfig(refs, ""),
			ExpectError: wrapped(`Image Not Found.*Key "missing_repo", reference "` + regexp.QuoteMeta(h) + `/team/nothere:1": not found` +
				`.*Image Not Found.*Key "missing_tag", reference "` + regexp.QuoteMeta(h) + `/team/app:nope": not found.*HTTP 404` +
				`.*Registry Authentication Failed.*Key "private", reference "` + regexp.QuoteMeta(h) + `/private/app:1": unauthorized`),
		}},
	})
}

// TestAccDigests_InvalidReference fails at validate time, naming the key in
// the error text (a map from a variable shows no key in the attribute path),
// before any request is sent; every invalid key is named.
func TestAccDigests_InvalidReference(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	h := reg.Host
	config := providerConfig("") + `variable "images" {
  default = {
    web    = "` + h + `/team/app:1"
    broken = "` + h + `/Team/App:1"
    worse  = "https://` + h + `/team/app"
  }
}
data "imageinfo_digests" "all" {
  references = var.images
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: wrapped(`Invalid Image Reference.*Key "broken": "` + regexp.QuoteMeta(h) + `/Team/App:1" is not an image reference.*lower case.*Key "worse"`),
		}},
	})
	if n := len(reg.Requests.All()); n != 0 {
		t.Errorf("the registry received %d requests for invalid references; validation must need no network", n)
	}
}

// TestAccDigests_MisbehavingHead: a registry whose HEAD gives no digest, or
// a wrong one for a reference by digest, or refuses HEAD with 405, still
// gets the right digests: the manifest is then fetched and checked against
// its digest, for those references only.
func TestAccDigests_MisbehavingHead(t *testing.T) {
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/v2/nodigest/"):
				next.ServeHTTP(&headerDropper{ResponseWriter: w, key: "Docker-Content-Digest"}, r)
			case r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/v2/nohead/"):
				w.WriteHeader(http.StatusMethodNotAllowed)
			case r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/v2/wrongdigest/"):
				next.ServeHTTP(&headerRewriter{ResponseWriter: w, key: "Docker-Content-Digest", value: "sha256:" + strings.Repeat("0", 64)}, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
	reg := registrytest.New(t, registrytest.Options{Wrap: wrap})
	ctx := context.Background()
	described := map[string]pushed{}
	for _, repo := range []string{"nodigest/app", "nohead/app", "wrongdigest/app", "good/app"} {
		img, err := reg.PushImage(ctx, repo+":1")
		if err != nil {
			t.Fatal(err)
		}
		described[repo] = manifestOf(t, img)
	}
	h := reg.Host
	refs := map[string]string{
		"nodigest":    h + "/nodigest/app:1",
		"nohead":      h + "/nohead/app:1",
		"wrongdigest": h + "/wrongdigest/app@" + described["wrongdigest/app"].digest,
		"good":        h + "/good/app:1",
	}
	var checks []statecheck.StateCheck
	for key, repo := range map[string]string{"nodigest": "nodigest/app", "nohead": "nohead/app", "good": "good/app"} {
		p := described[repo]
		checks = append(checks, expectDigest(key, h, repo, knownvalue.StringExact("1"), p, knownvalue.StringExact(p.digest))...)
	}
	wd := described["wrongdigest/app"]
	checks = append(checks, expectDigest("wrongdigest", h, "wrongdigest/app", knownvalue.Null(), wd, knownvalue.StringExact(wd.digest))...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			// No cache: every read asks the registry.
			Config:            providerConfig("  cache_dir = \"\"\n") + digestsConfig(refs, ""),
			ConfigStateChecks: checks,
		}},
	})
	for k := range manifestRequests(reg) {
		if strings.HasPrefix(k, "GET /v2/good/") {
			t.Errorf("%s: a reference whose HEAD answers must not be fetched", k)
		}
	}
}

// headerDropper removes one response header before it is written.
type headerDropper struct {
	http.ResponseWriter
	key string
}

func (h *headerDropper) WriteHeader(code int) {
	h.Header().Del(h.key)
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerDropper) Write(b []byte) (int, error) {
	h.Header().Del(h.key)
	return h.ResponseWriter.Write(b)
}
