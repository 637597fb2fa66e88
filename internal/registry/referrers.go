package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// The OCI 1.1 referrers of a manifest: artifacts (signatures, SBOMs,
// attestations) whose manifest names it as its subject. They are read from
// the referrers API (GET /v2/<name>/referrers/<digest>), every page of it;
// a registry that answers that with 404 has no such API (Docker Hub, GHCR
// and GitLab do, and so does distribution v3), and its referrers are read
// from the fallback tag <alg>-<hex> instead, an index that clients keep up
// to date (OCI distribution spec 1.1, "Referrers Tag Schema"). A registry
// found without the API is remembered for the rest of the run.
//
// Every referrer's manifest is read (by digest, so from the cache after the
// first time): a registry's referrers list only claims what each referrer
// is, and some registries list the config media type where the manifest
// has an artifactType of its own.

const (
	// maxReferrerPages bounds the pages of the referrers API read for one
	// subject, so that Link headers that never end cannot hold a plan.
	maxReferrerPages = 100
	// maxReferrers bounds the referrers read for one subject: each costs a
	// manifest GET on a cold cache.
	maxReferrers = 1000
)

// Referrer is an artifact that refers to a subject manifest.
type Referrer struct {
	// Digest, MediaType and Size are those of the referrer's manifest.
	Digest    string
	MediaType string
	Size      int64
	// ArtifactType is the referrer manifest's own artifactType, else the
	// one the referrers list gives, else the manifest's config media type.
	ArtifactType string
	// Annotations are the referrer manifest's annotations.
	Annotations map[string]string
	// Layers are the blobs of an image-manifest referrer, in order; nil for
	// an index.
	Layers []Descriptor
}

// Referrers is what refers to the manifest a reference resolves to.
type Referrers struct {
	// Subject is the manifest the reference resolved to.
	Subject *Manifest
	// FromTag reports that the registry has no referrers API, so the list
	// came from the fallback tag.
	FromTag bool
	// Referrers are the referrers, in the order the registry lists them,
	// keeping only those of the artifact type asked for.
	Referrers []Referrer
}

// Referrers resolves ref and lists the referrers of the manifest it points
// to, keeping only those of artifactType when it is not "".
func (c *Client) Referrers(ctx context.Context, ref imageref.Reference, artifactType string) (*Referrers, error) {
	return run(ctx, c, ref, ref.Identifier(), func(ctx context.Context, s *session) (*Referrers, error) {
		subject, err := c.fetchManifest(ctx, ref, s)
		if err != nil {
			return nil, err
		}
		byDigest := ref
		byDigest.Digest = subject.Digest
		descs, fromTag, err := c.listReferrers(ctx, byDigest, s, artifactType)
		if err != nil {
			return nil, err
		}
		out := &Referrers{Subject: subject, FromTag: fromTag, Referrers: []Referrer{}}
		for _, d := range descs {
			r, err := c.referrer(ctx, byDigest, s, d)
			if err != nil {
				return nil, err
			}
			if r == nil || (artifactType != "" && r.ArtifactType != artifactType) {
				continue
			}
			out.Referrers = append(out.Referrers, *r)
		}
		return out, nil
	})
}

// Blob reads a blob of ref's repository of at most limit bytes, checked
// against d, from the cache when it is there.
func (c *Client) Blob(ctx context.Context, ref imageref.Reference, d Descriptor, limit int64) ([]byte, error) {
	return run(ctx, c, ref, d.Digest, func(ctx context.Context, s *session) ([]byte, error) {
		return c.fetchBlob(ctx, ref, s, d, limit)
	})
}

// referrerDesc is an entry of a referrers list: a descriptor with the
// artifactType the list claims for it.
type referrerDesc struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType"`
	Annotations  map[string]string `json:"annotations"`
}

type referrersIndex struct {
	Manifests []referrerDesc `json:"manifests"`
}

// noReferrersAPI remembers, for the run, the registries found without the
// referrers API.
type noReferrersAPI struct{ hosts sync.Map }

func (n *noReferrersAPI) known(registry string) bool {
	_, ok := n.hosts.Load(registry)
	return ok
}

func (n *noReferrersAPI) remember(registry string) { n.hosts.Store(registry, true) }

// listReferrers lists the referrers of ref (a reference by digest) from the
// API, or from the fallback tag where the registry has no API.
func (c *Client) listReferrers(ctx context.Context, ref imageref.Reference, s *session, artifactType string) ([]referrerDesc, bool, error) {
	if !c.noReferrers.known(ref.Registry) {
		descs, filtered, ok, err := c.referrersAPI(ctx, ref, s, artifactType)
		if err == nil && ok && filtered && len(descs) == 0 {
			// A registry that lists config media types as artifact types
			// filters by them too: where it finds nothing of the type, the
			// manifests decide.
			descs, _, ok, err = c.referrersAPI(ctx, ref, s, "")
		}
		if err != nil || ok {
			return descs, false, err
		}
		tflog.Debug(ctx, "the registry has no referrers API: reading the fallback tag", map[string]any{"registry": ref.Registry})
		c.noReferrers.remember(ref.Registry)
	}
	descs, err := c.referrersTag(ctx, ref, s)
	return descs, true, err
}

// referrersAPI reads every page of the referrers API, asking for those of
// artifactType when it is not "". filtered reports that the registry says
// it applied that filter; ok is false when the registry answers the first
// page with 404: it has no such API.
func (c *Client) referrersAPI(ctx context.Context, ref imageref.Reference, s *session, artifactType string) (descs []referrerDesc, filtered, ok bool, err error) {
	repo := c.repository(ref)
	first, err := url.Parse(fmt.Sprintf("%s://%s/v2/%s/referrers/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), ref.Digest))
	if err != nil {
		return nil, false, false, err
	}
	if artifactType != "" {
		first.RawQuery = url.Values{"artifactType": {artifactType}}.Encode()
	}
	seen := map[string]bool{}
	for page, next := 0, first; next != nil; page++ {
		if page >= maxReferrerPages {
			return nil, false, false, malformedf("the referrers list goes on for more than %d pages", maxReferrerPages)
		}
		if seen[next.String()] {
			return nil, false, false, malformedf("the referrers list links back to a page already read (%s)", next.Redacted())
		}
		seen[next.String()] = true
		var p referrersPage
		p, next, err = c.referrersPage(ctx, s, first, next)
		if err != nil {
			return nil, false, false, err
		}
		if !p.found {
			if page > 0 {
				return nil, false, false, malformedf("the registry's referrers API answered a later page with 404")
			}
			return nil, false, false, nil
		}
		filtered = filtered || p.filtered
		descs = append(descs, p.entries...)
		if len(descs) > maxReferrers {
			return nil, false, false, malformedf("the manifest has more than %d referrers", maxReferrers)
		}
	}
	return descs, filtered && artifactType != "", true, nil
}

// referrersPage is one page of the referrers API: its entries, whether the
// registry applied the artifactType filter (OCI-Filters-Applied), and
// whether it answered at all (not with 404, nor with a page that is not an
// OCI index, as a registry without the API that answers every path with a
// web page does).
type referrersPage struct {
	entries         []referrerDesc
	filtered, found bool
}

// referrersPage reads one page of the referrers API; next is the following
// page.
func (c *Client) referrersPage(ctx context.Context, s *session, first, u *url.URL) (p referrersPage, next *url.URL, err error) {
	resp, err := c.get(ctx, s, u.String(), string(types.OCIImageIndex))
	if err != nil {
		return p, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return p, nil, nil
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return p, nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != string(types.OCIImageIndex) {
		return p, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxManifestSize+1))
	if err != nil {
		return p, nil, err
	}
	if len(body) > MaxManifestSize {
		return p, nil, malformedf("a page of the referrers list is more than %d bytes", MaxManifestSize)
	}
	if p.entries, err = parseReferrersIndex(body, "the referrers list"); err != nil {
		return p, nil, err
	}
	for _, v := range resp.Header.Values("OCI-Filters-Applied") {
		for _, f := range strings.Split(v, ",") {
			p.filtered = p.filtered || strings.TrimSpace(f) == "artifactType"
		}
	}
	p.found = true
	next, err = nextPage(resp, first, u, "referrers list")
	return p, next, err
}

// FallbackTag is the tag under which a registry without the referrers API
// keeps the referrers of dgst: <alg>-<hex>, the algorithm truncated to 32
// characters and the hex to 64 (OCI distribution spec 1.1).
func FallbackTag(dgst string) string {
	algorithm, encoded, _ := strings.Cut(dgst, ":")
	return truncate(algorithm, 32) + "-" + truncate(encoded, 64)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// referrersTag reads the fallback tag of ref (a reference by digest). It is
// a tag: a HEAD confirms it when its last digest is cached. No such tag
// means no referrers.
func (c *Client) referrersTag(ctx context.Context, ref imageref.Reference, s *session) ([]referrerDesc, error) {
	tag := ref
	tag.Tag, tag.Digest = FallbackTag(ref.Digest), ""
	m, err := c.fetchManifest(ctx, tag, s)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fallback tag %s: %w", tag.Tag, err)
	}
	if !IsIndex(m.MediaType) {
		return nil, malformedf("the fallback tag %s holds a %s, not an index", tag.Tag, m.MediaType)
	}
	descs, err := parseReferrersIndex(m.Raw, "the fallback tag "+tag.Tag)
	if err != nil {
		return nil, err
	}
	if len(descs) > maxReferrers {
		return nil, malformedf("the manifest has more than %d referrers", maxReferrers)
	}
	return descs, nil
}

// isNotFound reports a registry's 404 answer.
func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// parseReferrersIndex reads the entries of a referrers list, checking every
// digest: they end up in URLs and in Terraform state.
func parseReferrersIndex(raw []byte, what string) ([]referrerDesc, error) {
	var idx referrersIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, malformedf("%s is not a valid OCI index: %w", what, err)
	}
	for i, d := range idx.Manifests {
		if err := digest.Validate(d.Digest); err != nil {
			return nil, malformedf("%s: entry %d: %w", what, i, err)
		}
		if d.Size < 0 {
			return nil, malformedf("%s: entry %d has a negative size", what, i)
		}
	}
	return idx.Manifests, nil
}

// referrer reads the manifest of a referrers list entry and describes it;
// nil when it does not refer to subject (the ref's digest) after all.
func (c *Client) referrer(ctx context.Context, subject imageref.Reference, s *session, d referrerDesc) (*Referrer, error) {
	byDigest := subject
	byDigest.Digest = d.Digest
	m, err := c.fetchManifest(ctx, byDigest, s)
	if err != nil {
		return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
	}
	if m.Size != d.Size {
		return nil, malformedf("referrer %s: the referrers list gives its size as %d bytes, but the manifest served is %d bytes", d.Digest, d.Size, m.Size)
	}
	doc, err := parseDocument(m)
	if err != nil {
		return nil, err
	}
	if doc.Subject == nil || doc.Subject.Digest != subject.Digest {
		tflog.Warn(ctx, "a referrer listed for a manifest does not name it as its subject: left out", map[string]any{
			"subject": subject.Digest, "referrer": d.Digest,
		})
		return nil, nil
	}
	r := &Referrer{Digest: m.Digest, MediaType: m.MediaType, Size: m.Size, Annotations: doc.Annotations}
	switch {
	case doc.ArtifactType != "":
		r.ArtifactType = doc.ArtifactType
	case d.ArtifactType != "":
		r.ArtifactType = d.ArtifactType
	case doc.Config != nil:
		r.ArtifactType = doc.Config.MediaType
	}
	if !IsIndex(m.MediaType) {
		r.Layers = make([]Descriptor, len(doc.Layers))
		for i, l := range doc.Layers {
			r.Layers[i] = l.descriptor()
		}
	}
	return r, nil
}
