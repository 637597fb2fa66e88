package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// MaxManifestSize is the largest manifest accepted. The OCI distribution spec
// lets registries refuse manifests over 4 MiB; reading more would let a
// hostile registry exhaust memory (CVE-2020-1702).
const MaxManifestSize = 4 << 20

// acceptedMediaTypes is every manifest kind we can describe, plus Docker
// schema 1, asked for only so that it can be named in the error.
var acceptedMediaTypes = []string{
	string(types.OCIImageIndex),
	string(types.OCIManifestSchema1),
	string(types.DockerManifestList),
	string(types.DockerManifestSchema2),
	string(types.DockerManifestSchema1Signed),
	string(types.DockerManifestSchema1),
}

// Manifest is a manifest as the registry served it, checked against its digest.
type Manifest struct {
	// Digest is the digest of Raw: what a reference by digest pins.
	Digest string
	// MediaType is the manifest's media type.
	MediaType string
	// Size is len(Raw).
	Size int64
	// Raw holds the bytes exactly as served.
	Raw []byte
	// Annotations are the manifest's own annotations.
	Annotations map[string]string
}

// manifestFields are the parts of any manifest document we look at before
// deciding what it is.
type manifestFields struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Annotations   map[string]string `json:"annotations"`
	Manifests     json.RawMessage   `json:"manifests"`
	Layers        json.RawMessage   `json:"layers"`
	Config        json.RawMessage   `json:"config"`
}

// Manifest fetches the manifest that ref points to.
func (c *Client) Manifest(ctx context.Context, ref imageref.Reference) (*Manifest, error) {
	return run(ctx, c, ref, ref.Identifier(), func(ctx context.Context, s *session) (*Manifest, error) {
		return c.fetchManifest(ctx, ref, s)
	})
}

// fetchManifest returns the manifest ref points to, from the cache when it
// can: a reference by digest that is cached costs no request, and a tag whose
// last digest is cached costs one HEAD to confirm the tag still points there
// (HEAD does not count against Docker Hub's pull limit). A tag not seen before
// costs one GET and no HEAD, so a cold cache adds no request; a HEAD that does
// not confirm the cached manifest costs one GET of the tag.
func (c *Client) fetchManifest(ctx context.Context, ref imageref.Reference, s *session) (*Manifest, error) {
	store := c.opts.Cache
	if ref.Digest != "" {
		if m := cachedManifest(store, ref.Digest); m != nil {
			return m, nil
		}
		return c.getManifest(ctx, ref, s)
	}
	if last, ok := store.TagDigest(ref.String()); ok {
		if m := cachedManifest(store, last); m != nil {
			confirmed, err := c.headConfirms(ctx, ref, s, m)
			if err != nil {
				return nil, err
			}
			if confirmed {
				return m, nil
			}
		}
	}
	m, err := c.getManifest(ctx, ref, s)
	if err == nil && store != nil {
		_ = store.SetTagDigest(ref.String(), m.Digest)
	}
	return m, err
}

// cachedManifest describes a cached manifest; nil when it is not cached or
// no longer describes as a manifest.
func cachedManifest(store *cache.Store, dgst string) *Manifest {
	raw, ok := store.Get(dgst, MaxManifestSize)
	if !ok {
		return nil
	}
	m, err := parseManifest(raw, dgst, "")
	if err != nil {
		return nil
	}
	return m
}

// headConfirms asks with one HEAD whether a tag still points to m, the
// manifest last read for it. Only an answer that confirms m in everything it
// states is believed: 200, Docker-Content-Digest equal to m's digest,
// Content-Type equal to m's media type (one of those asked for), and
// Content-Length, when sent, equal to m's size. A HEAD says nothing else that
// is believed, because registries answer it in ways that would pin the wrong
// digest or fail a read that works: without a digest (ECR, Nexus), as
// application/octet-stream (Artifactory), with the digest of an index's
// linux/amd64 image instead of the index's own (Docker Hub), through a
// redirect to storage that refuses HEAD (GitLab), or with 403, 404 or 405.
// Any such answer, or a HEAD that fails, is no answer: the caller GETs the
// tag, and the GET's answer (checked against its digest) decides. Only a
// context that is done ends the read here.
func (c *Client) headConfirms(ctx context.Context, ref imageref.Reference, s *session, m *Manifest) (bool, error) {
	resp, err := c.do(ctx, s, http.MethodHead, c.manifestURL(ref), strings.Join(acceptedMediaTypes, ", "))
	if err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		tflog.Debug(ctx, "manifest HEAD failed; reading the tag with GET", map[string]any{"error": presentable(err).Error()})
		return false, nil
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK &&
		resp.Header.Get("Docker-Content-Digest") == m.Digest &&
		mediaTypeOf(resp.Header.Get("Content-Type")) == m.MediaType &&
		(resp.ContentLength < 0 || resp.ContentLength == m.Size), nil
}

func (c *Client) manifestURL(ref imageref.Reference) string {
	return c.v2URL(ref, "manifests/"+ref.Identifier())
}

// getManifest fetches a manifest, checks it against its digest and caches it.
func (c *Client) getManifest(ctx context.Context, ref imageref.Reference, s *session) (*Manifest, error) {
	resp, err := c.get(ctx, s, c.manifestURL(ref), strings.Join(acceptedMediaTypes, ", "))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := checkAnswer(resp); err != nil {
		return nil, err
	}
	if resp.ContentLength > MaxManifestSize {
		return nil, malformedf("manifest is %d bytes, more than the %d bytes a manifest may have", resp.ContentLength, MaxManifestSize)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxManifestSize {
		return nil, malformedf("manifest is more than the %d bytes a manifest may have", MaxManifestSize)
	}

	dgst, err := verifyDigest(raw, ref.Digest, resp.Header.Get("Docker-Content-Digest"))
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(raw, dgst, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	// Only what described as a manifest is kept; a failure to write the
	// cache costs a request next time, never a failed read now.
	_ = c.opts.Cache.Put(dgst, raw)
	return m, nil
}

// verifyDigest hashes what was served and checks it against the digest asked
// for or, for a tag, against the registry's Docker-Content-Digest header, so
// that neither a tampering proxy nor a confused registry goes unnoticed.
func verifyDigest(raw []byte, wanted, header string) (string, error) {
	expected, source := wanted, "the digest requested"
	if expected == "" && header != "" {
		if err := digest.Validate(header); err != nil {
			return "", malformedf("the registry's Docker-Content-Digest header is not a digest: %w", err)
		}
		expected, source = header, "the registry's Docker-Content-Digest header"
	}
	algorithm := "sha256"
	if expected != "" {
		algorithm = digest.Algorithm(expected)
	}
	got, err := digest.Of(algorithm, raw)
	if err != nil {
		return "", malformedf("%w", err)
	}
	if expected != "" && got != expected {
		return "", &classifiedError{class: ClassDigestMismatch,
			err: fmt.Errorf("the manifest served hashes to %s, but %s is %s", got, source, expected)}
	}
	return got, nil
}

// parseManifest decides what kind of manifest raw is, refusing what this provider
// cannot describe safely.
func parseManifest(raw []byte, dgst, contentType string) (*Manifest, error) {
	var f manifestFields
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, malformedf("manifest is not valid JSON: %w", err)
	}
	contentType = mediaTypeOf(contentType)
	if f.SchemaVersion == 1 || contentType == string(types.DockerManifestSchema1) || contentType == string(types.DockerManifestSchema1Signed) {
		return nil, &UnsupportedError{MediaType: contentType, Schema1: true}
	}
	if f.SchemaVersion != 2 {
		return nil, malformedf("manifest has schemaVersion %d, expected 2", f.SchemaVersion)
	}
	// A document with both manifests and layers could be read as an index by
	// one client and as an image by another (CVE-2021-41190).
	if len(f.Manifests) > 0 && (len(f.Layers) > 0 || len(f.Config) > 0) {
		return nil, malformedf("manifest has both \"manifests\" and \"layers\"/\"config\", so it is ambiguous between an index and an image")
	}
	mediaType := f.MediaType
	if isManifestType(contentType) {
		if mediaType != "" && mediaType != contentType {
			return nil, malformedf("the registry served the manifest as %q, but the document says %q", contentType, mediaType)
		}
		mediaType = contentType
	}
	if mediaType == "" {
		// OCI lets mediaType be absent; what the document holds decides.
		if len(f.Manifests) > 0 {
			mediaType = string(types.OCIImageIndex)
		} else {
			mediaType = string(types.OCIManifestSchema1)
		}
	}
	if !isManifestType(mediaType) {
		return nil, &UnsupportedError{MediaType: mediaType}
	}
	return &Manifest{
		Digest:      dgst,
		MediaType:   mediaType,
		Size:        int64(len(raw)),
		Raw:         raw,
		Annotations: f.Annotations,
	}, nil
}

// mediaTypeOf is the media type of a Content-Type value, without its
// parameters ("; charset=utf-8").
func mediaTypeOf(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

func isManifestType(mt string) bool {
	switch types.MediaType(mt) {
	case types.OCIImageIndex, types.OCIManifestSchema1, types.DockerManifestList, types.DockerManifestSchema2:
		return true
	}
	return false
}
