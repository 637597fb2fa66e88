package registry

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// crafted serves hand-written manifests at chosen paths, in front of a real
// registry, for documents no push tool would produce.
type crafted struct {
	mu    sync.Mutex
	paths map[string]craftedBody
}

type craftedBody struct {
	mediaType string
	body      []byte
	chunked   bool // no Content-Length: the body's length is known only by reading it
}

func (c *crafted) set(path, mediaType string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paths == nil {
		c.paths = map[string]craftedBody{}
	}
	c.paths[path] = craftedBody{mediaType: mediaType, body: body}
}

func (c *crafted) setChunked(path, mediaType string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths[path] = craftedBody{mediaType, body, true}
}

func (c *crafted) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		b, ok := c.paths[r.URL.Path]
		c.mu.Unlock()
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", b.mediaType)
		if strings.Contains(r.URL.Path, "/manifests/") {
			w.Header().Set("Docker-Content-Digest", sha(string(b.body)))
		}
		if b.chunked {
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush() //nolint:errcheck // Best effort: a test fixture.
		}
		_, _ = w.Write(b.body)
	})
}

// manifest serves body as repo's manifest by digest, and under tag when
// given, and returns its descriptor.
func (c *crafted) manifest(repo, tag, mediaType string, body []byte) map[string]any {
	c.set("/v2/"+repo+"/manifests/"+sha(string(body)), mediaType, body)
	if tag != "" {
		c.set("/v2/"+repo+"/manifests/"+tag, mediaType, body)
	}
	return descriptor(mediaType, body)
}

func descriptor(mediaType string, body []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": sha(string(body)), "size": len(body)}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pf(t *testing.T, s string) *platform.Platform {
	t.Helper()
	p, err := platform.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// checkImage compares an Image with what go-containerregistry computes for
// the same image.
func checkImage(t *testing.T, got *Image, img v1.Image) {
	t.Helper()
	d, _ := img.Digest()
	mt, _ := img.MediaType()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.String() || got.MediaType != string(mt) {
		t.Errorf("image %s %s, want %s %s", got.Digest, got.MediaType, d, mt)
	}
	if got.Config.Digest != m.Config.Digest.String() || got.Config.MediaType != string(m.Config.MediaType) || got.Config.Size != m.Config.Size {
		t.Errorf("config %+v, want %+v", got.Config, m.Config)
	}
	if len(got.Layers) != len(m.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(m.Layers))
	}
	for i, l := range m.Layers {
		g := got.Layers[i]
		if g.Digest != l.Digest.String() || g.MediaType != string(l.MediaType) || g.Size != l.Size || !maps.Equal(g.Annotations, l.Annotations) {
			t.Errorf("layer %d = %+v, want %+v", i, g, l)
		}
	}
	if !got.ImageConfig || got.OS != cf.OS || got.Architecture != cf.Architecture || got.Variant != cf.Variant {
		t.Errorf("platform %v %s/%s/%s, want %s/%s/%s", got.ImageConfig, got.OS, got.Architecture, got.Variant, cf.OS, cf.Architecture, cf.Variant)
	}
	wantCreated := ""
	if !cf.Created.IsZero() {
		wantCreated = cf.Created.Format(time.RFC3339Nano)
	}
	if got.Created != wantCreated {
		t.Errorf("created %q, want %q", got.Created, wantCreated)
	}
	if !maps.Equal(got.Labels, cf.Config.Labels) {
		t.Errorf("labels %v, want %v", got.Labels, cf.Config.Labels)
	}
}

// TestResolveImage reads an OCI and a Docker image: one manifest request and
// one config request each, every field as go-containerregistry sees it.
func TestResolveImage(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	created := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	labels := map[string]string{"org.opencontainers.image.revision": "abc123"}
	for _, tt := range []struct {
		name   string
		format registrytest.ManifestFormat
	}{{"oci", registrytest.OCI}, {"docker", registrytest.Docker}} {
		t.Run(tt.name, func(t *testing.T) {
			img, err := reg.PushImage(ctx, "team/"+tt.name+":1", registrytest.WithMediaType(tt.format),
				registrytest.WithLabels(labels), registrytest.WithCreated(created), registrytest.WithLayers(2, 100))
			if err != nil {
				t.Fatal(err)
			}
			reg.Requests.Reset()
			r, err := anonymous(t, reg).Resolve(ctx, mustParse(t, reg.Host+"/team/"+tt.name+":1"), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, r.Image, img)
			if r.Digest != r.Image.Digest || r.Manifests != nil || r.ArtifactType != "" || r.SubjectDigest != "" {
				t.Errorf("resolved %+v: an image is its own image, with no entries and no OCI 1.1 fields", r)
			}
			if r.Image.Created != "2024-05-01T12:30:00Z" {
				t.Errorf("created = %q", r.Image.Created)
			}
			if n := reg.Count("GET", "/v2/team/"+tt.name+"/manifests/"); n != 1 {
				t.Errorf("%d manifest requests, want 1", n)
			}
			if n := reg.Count("GET", "/v2/team/"+tt.name+"/blobs/"); n != 1 {
				t.Errorf("%d blob requests, want 1 (the config)", n)
			}
		})
	}
}

// TestResolveIndex lists an index's entries without fetching them, and
// fetches only the chosen one and its config when a platform is asked for.
func TestResolveIndex(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	platforms := []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
		{OS: "linux", Architecture: "arm", Variant: "v7"},
		{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.2340"},
	}
	idx, err := reg.PushIndex(ctx, "team/multi:1", platforms)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	c := anonymous(t, reg)
	ref := mustParse(t, reg.Host+"/team/multi:1")

	reg.Requests.Reset()
	r, err := c.Resolve(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Image != nil {
		t.Errorf("an index without a platform chose %+v", r.Image)
	}
	if len(r.Manifests) != len(im.Manifests) {
		t.Fatalf("%d entries, want %d", len(r.Manifests), len(im.Manifests))
	}
	for i, e := range im.Manifests {
		g := r.Manifests[i]
		if g.Digest != e.Digest.String() || g.MediaType != string(e.MediaType) || g.Size != e.Size ||
			g.Platform == nil || g.Platform.OS != e.Platform.OS || g.Platform.Architecture != e.Platform.Architecture ||
			g.Platform.Variant != e.Platform.Variant || g.Platform.OSVersion != e.Platform.OSVersion {
			t.Errorf("entry %d = %+v %+v, want %+v", i, g, g.Platform, e)
		}
	}
	if n := reg.Count("GET", "/v2/team/multi/"); n != 1 {
		t.Errorf("%d requests, want 1: entries are not fetched without a platform", n)
	}

	for _, tt := range []struct {
		want  string
		entry int
	}{
		{"linux/amd64", 0},
		{"linux/x86_64", 0},
		{"linux/arm64", 1}, // arm64 is arm64/v8
		{"linux/arm64/v8", 1},
		{"linux/arm", 2}, // arm is arm/v7
		{"windows/amd64", 3},
	} {
		t.Run(tt.want, func(t *testing.T) {
			reg.Requests.Reset()
			r, err := c.Resolve(ctx, ref, pf(t, tt.want))
			if err != nil {
				t.Fatal(err)
			}
			child, err := idx.Image(im.Manifests[tt.entry].Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, r.Image, child)
			if r.Digest != im.Manifests[tt.entry].Digest.String() && r.Digest == r.Image.Digest {
				t.Error("digest is the image's, want the index's")
			}
			if n := reg.Count("GET", "/v2/team/multi/manifests/"); n != 2 {
				t.Errorf("%d manifest requests, want 2 (index and the chosen image)", n)
			}
			if n := reg.Count("GET", "/v2/team/multi/blobs/"); n != 1 {
				t.Errorf("%d blob requests, want 1", n)
			}
		})
	}

	_, err = c.Resolve(ctx, ref, pf(t, "linux/s390x"))
	wantClass(t, err, ClassNoMatchingPlatform, "linux/s390x", "it offers linux/amd64, linux/arm64/v8, linux/arm/v7, windows/amd64")
	_, err = c.Resolve(ctx, ref, pf(t, "linux/arm/v6"))
	wantClass(t, err, ClassNoMatchingPlatform, "linux/arm/v6")
}

// TestResolveAttestations: BuildKit's attestation entries are listed but
// never chosen, whether they say unknown/unknown or only carry the
// annotation.
func TestResolveAttestations(t *testing.T) {
	ctx := context.Background()
	cr := &crafted{}
	reg := registrytest.New(t, registrytest.Options{Wrap: cr.wrap})
	amd, err := reg.PushImage(ctx, "team/att:amd64")
	if err != nil {
		t.Fatal(err)
	}
	att, err := reg.PushImage(ctx, "team/att:att", registrytest.WithPlatform(v1.Platform{OS: "unknown", Architecture: "unknown"}))
	if err != nil {
		t.Fatal(err)
	}
	entry := func(img v1.Image, p map[string]string, annotations map[string]string) map[string]any {
		raw, _ := img.RawManifest()
		d := descriptor(string(types.OCIManifestSchema1), raw)
		d["platform"] = p
		if annotations != nil {
			d["annotations"] = annotations
		}
		return d
	}
	amdDigest, _ := amd.Digest()
	attAnnotations := map[string]string{platform.AttestationAnnotation: platform.AttestationManifest, "vnd.docker.reference.digest": amdDigest.String()}
	index := mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIImageIndex,
		"manifests": []any{
			entry(att, map[string]string{"os": "unknown", "architecture": "unknown"}, attAnnotations),
			// Annotated only: still an attestation.
			entry(att, map[string]string{"os": "linux", "architecture": "amd64"}, attAnnotations),
			entry(amd, map[string]string{"os": "linux", "architecture": "amd64"}, nil),
		},
	})
	cr.manifest("team/att", "1", string(types.OCIImageIndex), index)
	c := anonymous(t, reg)
	ref := mustParse(t, reg.Host+"/team/att:1")

	r, err := c.Resolve(ctx, ref, pf(t, "linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, r.Image, amd)
	if len(r.Manifests) != 3 || r.Manifests[0].Annotations[platform.AttestationAnnotation] != platform.AttestationManifest {
		t.Errorf("entries %+v: attestation entries are listed", r.Manifests)
	}
	_, err = c.Resolve(ctx, ref, pf(t, "unknown/unknown"))
	e := wantClass(t, err, ClassNoMatchingPlatform, "it offers linux/amd64 (")
	if strings.Contains(e.Err.Error(), "offers unknown") {
		t.Errorf("the error offers an attestation: %v", e.Err)
	}

	// Only attestations, entries without a platform, or nothing at all.
	amdRaw, _ := amd.RawManifest()
	cr.manifest("team/att", "unlabelled", string(types.OCIImageIndex), mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIImageIndex,
		"manifests": []any{entry(att, map[string]string{"os": "unknown", "architecture": "unknown"}, attAnnotations), descriptor(string(types.OCIManifestSchema1), amdRaw)},
	}))
	_, err = c.Resolve(ctx, mustParse(t, reg.Host+"/team/att:unlabelled"), pf(t, "linux/amd64"))
	wantClass(t, err, ClassNoMatchingPlatform, "it states no platform for any entry, and 1 image(s) without a platform, which are never chosen")
	cr.manifest("team/att", "empty", string(types.OCIImageIndex), []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
	_, err = c.Resolve(ctx, mustParse(t, reg.Host+"/team/att:empty"), pf(t, "linux/amd64"))
	wantClass(t, err, ClassNoMatchingPlatform, "it has no entries")
}

// TestResolveNested descends into an index nested in an index, depth first
// in index order, and lists the nested platforms when nothing matches.
func TestResolveNested(t *testing.T) {
	ctx := context.Background()
	cr := &crafted{}
	reg := registrytest.New(t, registrytest.Options{Wrap: cr.wrap})
	amd, err := reg.PushImage(ctx, "team/nest:amd64")
	if err != nil {
		t.Fatal(err)
	}
	inner, err := reg.PushIndex(ctx, "team/nest:inner", []v1.Platform{{OS: "linux", Architecture: "arm", Variant: "v6"}, {OS: "linux", Architecture: "arm", Variant: "v7"}})
	if err != nil {
		t.Fatal(err)
	}
	innerRaw, _ := inner.RawManifest()
	innerMT, _ := inner.MediaType()
	amdRaw, _ := amd.RawManifest()
	amdEntry := descriptor(string(types.OCIManifestSchema1), amdRaw)
	amdEntry["platform"] = map[string]string{"os": "linux", "architecture": "amd64"}
	outer := mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIImageIndex,
		"manifests":     []any{amdEntry, descriptor(string(innerMT), innerRaw)},
	})
	cr.manifest("team/nest", "1", string(types.OCIImageIndex), outer)
	c := anonymous(t, reg)
	ref := mustParse(t, reg.Host+"/team/nest:1")

	reg.Requests.Reset()
	r, err := c.Resolve(ctx, ref, pf(t, "linux/arm/v6"))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := inner.IndexManifest()
	v6, err := inner.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, r.Image, v6)
	if n := reg.Count("GET", "/v2/team/nest/manifests/"); n != 3 {
		t.Errorf("%d manifest requests, want 3 (outer, inner, image)", n)
	}
	if len(r.Manifests) != 2 || !IsIndex(r.Manifests[1].MediaType) || r.Manifests[1].Platform != nil {
		t.Errorf("entries %+v: want the outer index's two, the second an index without platform", r.Manifests)
	}
	// The amd64 image comes first and is not fetched for arm.
	r, err = c.Resolve(ctx, ref, pf(t, "linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, r.Image, amd)

	_, err = c.Resolve(ctx, ref, pf(t, "linux/riscv64"))
	wantClass(t, err, ClassNoMatchingPlatform, "it offers linux/amd64, linux/arm/v6, linux/arm/v7")
}

// TestResolveNestingBound: indexes nested deeper than maxIndexDepth are
// refused rather than followed.
func TestResolveNestingBound(t *testing.T) {
	ctx := context.Background()
	cr := &crafted{}
	reg := registrytest.New(t, registrytest.Options{Wrap: cr.wrap})
	img, err := reg.PushImage(ctx, "team/deep:img")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	entry := descriptor(string(types.OCIManifestSchema1), raw)
	entry["platform"] = map[string]string{"os": "linux", "architecture": "amd64"}
	for i := 0; i <= maxIndexDepth+1; i++ {
		body := mustJSON(t, map[string]any{"schemaVersion": 2, "mediaType": types.OCIImageIndex, "manifests": []any{entry}})
		entry = cr.manifest("team/deep", "", string(types.OCIImageIndex), body)
	}
	c := anonymous(t, reg)
	top, _ := entry["digest"].(string)
	_, err = c.Resolve(ctx, mustParse(t, reg.Host+"/team/deep@"+top), pf(t, "linux/amd64"))
	wantClass(t, err, ClassMalformed, "nest more than")
}

// TestResolveArtifact: an OCI artifact with artifactType and subject is
// described without reading its config, and has no platform.
func TestResolveArtifact(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	img, err := reg.PushImage(ctx, "team/art:1")
	if err != nil {
		t.Fatal(err)
	}
	imgRaw, _ := img.RawManifest()
	empty := []byte("{}")
	if _, err := reg.PushBlob(ctx, "team/art", empty); err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"spdxVersion":"SPDX-2.3"}`)
	if _, err := reg.PushBlob(ctx, "team/art", payload); err != nil {
		t.Fatal(err)
	}
	layer := descriptor("application/spdx+json", payload)
	layer["annotations"] = map[string]string{"org.opencontainers.image.title": "sbom.spdx.json"}
	body := mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  "application/spdx+json",
		"config":        descriptor("application/vnd.oci.empty.v1+json", empty),
		"layers":        []any{layer},
		"subject":       descriptor(string(types.OCIManifestSchema1), imgRaw),
		"annotations":   map[string]string{"org.opencontainers.image.created": "2024-05-01T00:00:00Z"},
	})
	if err := reg.PushRaw(ctx, "team/art", "sbom", string(types.OCIManifestSchema1), body); err != nil {
		t.Fatal(err)
	}
	c := anonymous(t, reg)
	ref := mustParse(t, reg.Host+"/team/art:sbom")

	reg.Requests.Reset()
	r, err := c.Resolve(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	imgDigest, _ := img.Digest()
	if r.ArtifactType != "application/spdx+json" || r.SubjectDigest != imgDigest.String() {
		t.Errorf("artifact type %q, subject %q", r.ArtifactType, r.SubjectDigest)
	}
	if r.Image == nil || r.Image.Digest != sha(string(body)) || r.Image.ImageConfig || r.Image.OS != "" || r.Image.Labels != nil {
		t.Errorf("image %+v: an artifact is its own image, without an image config", r.Image)
	}
	if r.Image.Config.MediaType != "application/vnd.oci.empty.v1+json" || len(r.Image.Layers) != 1 || r.Image.Layers[0].Annotations["org.opencontainers.image.title"] != "sbom.spdx.json" {
		t.Errorf("config %+v, layers %+v", r.Image.Config, r.Image.Layers)
	}
	if n := reg.Count("GET", "/v2/team/art/blobs/"); n != 0 {
		t.Errorf("%d blob requests: an artifact's config is not read", n)
	}
	_, err = c.Resolve(ctx, ref, pf(t, "linux/amd64"))
	wantClass(t, err, ClassNoMatchingPlatform, "is an artifact (artifact type application/spdx+json)")
}

// TestResolveSingleImagePlatform: a platform asked of a single image must be
// the image's own, and the error says what the image is.
func TestResolveSingleImagePlatform(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	if _, err := reg.PushImage(ctx, "team/one:1", registrytest.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})); err != nil {
		t.Fatal(err)
	}
	c := anonymous(t, reg)
	ref := mustParse(t, reg.Host+"/team/one:1")
	for _, ok := range []string{"linux/arm64", "linux/arm64/v8", "linux/aarch64"} {
		if _, err := c.Resolve(ctx, ref, pf(t, ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	_, err := c.Resolve(ctx, ref, pf(t, "linux/amd64"))
	wantClass(t, err, ClassNoMatchingPlatform, "single-platform image for linux/arm64/v8 (application/vnd.oci.image.manifest.v1+json), not an index")
}

// TestResolveRejects: content that does not match what refers to it is
// refused, with its class.
func TestResolveRejects(t *testing.T) {
	ctx := context.Background()
	cr := &crafted{}
	reg := registrytest.New(t, registrytest.Options{Wrap: cr.wrap})
	img, err := reg.PushImage(ctx, "team/bad:img")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	m, _ := img.Manifest()
	c := anonymous(t, reg)
	resolve := func(repoTag string, p *platform.Platform) error {
		_, err := c.Resolve(ctx, mustParse(t, reg.Host+"/"+repoTag), p)
		return err
	}

	// A config whose bytes are not its digest.
	cr.set("/v2/team/bad/blobs/"+m.Config.Digest.String(), "application/octet-stream", []byte(strings.Repeat("x", int(m.Config.Size))))
	wantClass(t, resolve("team/bad:img", nil), ClassDigestMismatch, "config "+m.Config.Digest.String(), "the blob served hashes to")
	// ... or longer than its size.
	cr.set("/v2/team/bad/blobs/"+m.Config.Digest.String(), "application/octet-stream", []byte(strings.Repeat("x", int(m.Config.Size)+10)))
	wantClass(t, resolve("team/bad:img", nil), ClassMalformed, "gives its size as")
	cr.setChunked("/v2/team/bad/blobs/"+m.Config.Digest.String(), "application/octet-stream", []byte(strings.Repeat("x", int(m.Config.Size)+10)))
	wantClass(t, resolve("team/bad:img", nil), ClassMalformed, "the blob served is longer")
	cr.setChunked("/v2/team/bad/blobs/"+m.Config.Digest.String(), "application/octet-stream", []byte("x"))
	wantClass(t, resolve("team/bad:img", nil), ClassMalformed, "the blob served is 1 bytes")

	// An index entry whose size is not the manifest's.
	entry := descriptor(string(types.OCIManifestSchema1), raw)
	entry["size"] = len(raw) + 1
	entry["platform"] = map[string]string{"os": "linux", "architecture": "amd64"}
	cr.manifest("team/bad", "size", string(types.OCIImageIndex), mustJSON(t, map[string]any{"schemaVersion": 2, "manifests": []any{entry}}))
	wantClass(t, resolve("team/bad:size", pf(t, "linux/amd64")), ClassMalformed, "index entry", "gives its size as")

	// An index entry that is not what its digest says.
	other := descriptor(string(types.OCIManifestSchema1), raw)
	other["platform"] = map[string]string{"os": "linux", "architecture": "amd64"}
	cr.set("/v2/team/bad/manifests/"+sha(string(raw)), string(types.OCIManifestSchema1), append([]byte(" "), raw...))
	cr.manifest("team/bad", "swapped", string(types.OCIImageIndex), mustJSON(t, map[string]any{"schemaVersion": 2, "manifests": []any{other}}))
	wantClass(t, resolve("team/bad:swapped", pf(t, "linux/amd64")), ClassDigestMismatch, "index entry "+sha(string(raw))+" (linux/amd64)")

	// An entry of a kind not read: an error naming it when it is the one
	// asked for, passed over otherwise.
	odd := func(mt string) map[string]any {
		return map[string]any{"mediaType": mt, "digest": "sha256:" + strings.Repeat("c", 64), "size": 2,
			"platform": map[string]string{"os": "linux", "architecture": "ppc64le"}}
	}
	cr.manifest("team/bad", "legacy", string(types.OCIImageIndex), mustJSON(t, map[string]any{"schemaVersion": 2,
		"manifests": []any{odd(string(types.DockerManifestSchema1Signed)), odd("application/vnd.example+json"), other}}))
	wantClass(t, resolve("team/bad:legacy", pf(t, "linux/ppc64le")), ClassUnsupported, "(linux/ppc64le): this is a Docker schema 1 manifest")
	cr.manifest("team/bad", "odd", string(types.OCIImageIndex), mustJSON(t, map[string]any{"schemaVersion": 2,
		"manifests": []any{odd("application/vnd.example+json")}}))
	wantClass(t, resolve("team/bad:odd", pf(t, "linux/ppc64le")), ClassUnsupported, `media type "application/vnd.example+json" is not a manifest kind`)
	wantClass(t, resolve("team/bad:odd", pf(t, "linux/s390x")), ClassNoMatchingPlatform, "it offers linux/ppc64le (")

	// A config larger than MaxConfigSize is not asked for.
	big := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIManifestSchema1,
		"config": map[string]any{"mediaType": types.OCIConfigJSON, "digest": m.Config.Digest.String(), "size": MaxConfigSize + 1},
		"layers": []any{},
	})
	cr.manifest("team/bad", "big", string(types.OCIManifestSchema1), big)
	reg.Requests.Reset()
	wantClass(t, resolve("team/bad:big", nil), ClassMalformed, "more than the 8388608 bytes")
	if n := reg.Count("GET", "/v2/team/bad/blobs/"); n != 0 {
		t.Errorf("%d blob requests for a config over the limit", n)
	}

	// A digest in the document that is not a digest.
	bad := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIManifestSchema1,
		"config": map[string]any{"mediaType": types.OCIConfigJSON, "digest": "sha256:../../etc", "size": 2},
		"layers": []any{},
	})
	cr.manifest("team/bad", "digest", string(types.OCIManifestSchema1), bad)
	wantClass(t, resolve("team/bad:digest", nil), ClassMalformed, "config: invalid digest")

	// A config that is not JSON.
	notJSON := []byte("not json")
	cfgDigest, err := reg.PushBlob(ctx, "team/bad", notJSON)
	if err != nil {
		t.Fatal(err)
	}
	cr.manifest("team/bad", "cfg", string(types.OCIManifestSchema1), mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIManifestSchema1,
		"config": map[string]any{"mediaType": types.OCIConfigJSON, "digest": cfgDigest.String(), "size": len(notJSON)},
		"layers": []any{},
	}))
	wantClass(t, resolve("team/bad:cfg", nil), ClassMalformed, "not a valid image config")
}

func TestCreatedTime(t *testing.T) {
	for in, want := range map[string]string{
		`"2024-05-01T12:00:00Z"`:           "2024-05-01T12:00:00Z",
		`"2024-05-01T12:00:00.123456789Z"`: "2024-05-01T12:00:00.123456789Z",
		`"2024-05-01T14:00:00+02:00"`:      "2024-05-01T14:00:00+02:00",
		`"1970-01-01T00:00:00Z"`:           "1970-01-01T00:00:00Z",
		`"0001-01-01T00:00:00Z"`:           "",
		`"yesterday"`:                      "",
		`12345`:                            "",
		`null`:                             "",
		``:                                 "",
	} {
		if got := createdTime(json.RawMessage(in)); got != want {
			t.Errorf("createdTime(%s) = %q, want %q", in, got, want)
		}
	}
}
