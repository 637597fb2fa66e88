package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
)

const (
	// MaxConfigSize is the largest image config read. Configs are a few
	// kilobytes, up to a few hundred with long histories; the bound keeps a
	// hostile registry from exhausting memory.
	MaxConfigSize = 8 << 20
	// maxIndexDepth bounds how deep indexes may nest (an index entry that is
	// itself an index) when a platform is chosen.
	maxIndexDepth = 4
	// maxNestedIndexes bounds how many nested indexes one read fetches while
	// looking for a platform.
	maxNestedIndexes = 32
)

// Descriptor points at content by digest: an index entry, a config or a layer.
type Descriptor struct {
	MediaType   string
	Digest      string
	Size        int64
	Annotations map[string]string
	// Platform is the platform an index entry states; nil when it states
	// none (always nil for configs and layers).
	Platform *platform.Platform
}

// Image is a single-platform image manifest and what its config says.
type Image struct {
	// Digest and MediaType are those of the image manifest.
	Digest    string
	MediaType string
	Config    Descriptor
	Layers    []Descriptor
	// ImageConfig reports whether the config is an image config (OCI or
	// Docker) and was read. Artifacts (signatures, SBOMs, Helm charts) have
	// configs of other media types, which are not read: the fields below
	// are then empty.
	ImageConfig  bool
	OS           string
	Architecture string
	Variant      string
	OSVersion    string
	// Created is the config's creation time as written there (RFC 3339);
	// empty when absent, not RFC 3339, or Go's zero time.
	Created string
	Labels  map[string]string
}

// Platform is the platform the image's config states.
func (i *Image) Platform() platform.Platform {
	return platform.Platform{OS: i.OS, Architecture: i.Architecture, Variant: i.Variant, OSVersion: i.OSVersion}
}

// Resolved is what a reference points to, described.
type Resolved struct {
	// Manifest is the manifest the reference points to: the index, for a
	// multi-platform tag.
	Manifest
	// ArtifactType and SubjectDigest are the manifest's OCI 1.1 fields;
	// empty when absent.
	ArtifactType  string
	SubjectDigest string
	// Manifests are the entries of an index, in order; nil for an image.
	Manifests []Descriptor
	// Image is the single-platform image: the manifest itself when it is
	// an image manifest, the entry chosen by platform for an index; nil for
	// an index when no platform was asked for.
	Image *Image
}

// IsIndex reports whether a media type is an OCI index or a Docker manifest
// list.
func IsIndex(mediaType string) bool {
	switch types.MediaType(mediaType) {
	case types.OCIImageIndex, types.DockerManifestList:
		return true
	}
	return false
}

// isImageConfig reports whether a config media type is one whose content is
// an image config with os, architecture, created and labels.
func isImageConfig(mediaType string) bool {
	switch types.MediaType(mediaType) {
	case types.OCIConfigJSON, types.DockerConfigJSON:
		return true
	}
	return false
}

// Resolve fetches the manifest ref points to and describes it. For an image
// manifest it also reads the image's config. For an index it lists the
// entries and, when want is set, chooses the entry for that platform
// (descending into nested indexes), fetches it and reads its config. When
// want is set for an image manifest, the image's platform must match it.
// Every manifest and config is checked against its digest.
func (c *Client) Resolve(ctx context.Context, ref imageref.Reference, want *platform.Platform) (*Resolved, error) {
	return run(ctx, c, ref, ref.Identifier(), func(ctx context.Context, s *session) (*Resolved, error) {
		return c.resolve(ctx, ref, s, want)
	})
}

func (c *Client) resolve(ctx context.Context, ref imageref.Reference, s *session, want *platform.Platform) (*Resolved, error) {
	m, err := c.fetchManifest(ctx, ref, s)
	if err != nil {
		return nil, err
	}
	doc, err := parseDocument(m)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Manifest: *m, ArtifactType: doc.ArtifactType}
	if doc.Subject != nil {
		r.SubjectDigest = doc.Subject.Digest
	}
	if !IsIndex(m.MediaType) {
		img, err := c.image(ctx, ref, s, m, doc)
		if err != nil {
			return nil, err
		}
		if want != nil {
			if err := checkImagePlatform(*want, img, doc); err != nil {
				return nil, err
			}
		}
		r.Image = img
		return r, nil
	}

	r.Manifests = make([]Descriptor, len(doc.Manifests))
	for i, d := range doc.Manifests {
		r.Manifests[i] = d.descriptor()
	}
	if want == nil {
		return r, nil
	}
	search := &platformSearch{c: c, ref: ref, s: s, want: *want}
	child, childDoc, err := search.in(ctx, doc, 0)
	if err != nil {
		return nil, err
	}
	if child == nil {
		return nil, search.noMatch()
	}
	if r.Image, err = c.image(ctx, ref, s, child, childDoc); err != nil {
		return nil, err
	}
	return r, nil
}

// checkImagePlatform holds a single image to the platform asked for.
func checkImagePlatform(want platform.Platform, img *Image, doc *document) error {
	e := &PlatformError{Want: want, MediaType: img.MediaType}
	switch {
	case !img.ImageConfig:
		e.Artifact = "config media type " + img.Config.MediaType
		if doc.ArtifactType != "" {
			e.Artifact = "artifact type " + doc.ArtifactType
		}
		return e
	case img.OS == "" || img.Architecture == "":
		return e
	case !platform.Matches(want, img.Platform()):
		e.ImagePlatform = img.Platform().String()
		return e
	}
	return nil
}

// PlatformError is a platform asked for that the reference does not offer:
// an index without a matching entry, or a single image (or artifact) that
// is not for that platform.
type PlatformError struct {
	Want platform.Platform
	// Index reports that the reference is an index; Offered, Unlabelled and
	// Entries describe it.
	Index bool
	// Offered are the platforms the index's entries state, in order,
	// without repeats.
	Offered []string
	// Unlabelled counts image entries that state no platform, which are
	// never chosen.
	Unlabelled int
	// Entries counts every entry, attestations included.
	Entries int

	// MediaType is the single image's manifest media type.
	MediaType string
	// ImagePlatform is the platform the single image's config states; empty
	// when it states none.
	ImagePlatform string
	// Artifact names what the reference is when it is an artifact rather
	// than an image ("artifact type …" or "config media type …").
	Artifact string
}

func (e *PlatformError) Error() string {
	if e.Index {
		var offers string
		switch {
		case len(e.Offered) > 0:
			offers = "it offers " + strings.Join(e.Offered, ", ")
		case e.Entries == 0:
			offers = "it has no entries"
		default:
			offers = "it states no platform for any entry"
		}
		if e.Unlabelled > 0 {
			offers += fmt.Sprintf(", and %d image(s) without a platform, which are never chosen", e.Unlabelled)
		}
		return fmt.Sprintf("no image for platform %s in this index: %s (attestation entries are never chosen; arm64 means arm64/v8 and arm means arm/v7)", e.Want, offers)
	}
	switch {
	case e.Artifact != "":
		return fmt.Sprintf("platform %s was asked for, but the reference is an artifact (%s), not an image or index, and has no platform", e.Want, e.Artifact)
	case e.ImagePlatform == "":
		return fmt.Sprintf("platform %s was asked for, but the reference is a single-platform image (%s), not an index, and its config states no platform", e.Want, e.MediaType)
	}
	return fmt.Sprintf("platform %s was asked for, but the reference is a single-platform image for %s (%s), not an index", e.Want, e.ImagePlatform, e.MediaType)
}

// UnsupportedError is a manifest of a kind this provider does not read.
type UnsupportedError struct {
	MediaType string
	// Schema1 reports a Docker schema 1 manifest, which registries have
	// deprecated.
	Schema1 bool
}

func (e *UnsupportedError) Error() string {
	if e.Schema1 {
		return "this is a Docker schema 1 manifest, which registries have deprecated and this provider does not read"
	}
	return fmt.Sprintf("media type %q is not a manifest kind this provider reads", e.MediaType)
}

// platformSearch looks for the image of one platform in an index and the
// indexes nested in it, depth first in index order, as containerd does: the
// first entry that matches wins. Attestation entries are never chosen, and
// entries that state no platform are not candidates (containerd would read
// their configs; here they are artifacts such as signatures in practice).
type platformSearch struct {
	c    *Client
	ref  imageref.Reference
	s    *session
	want platform.Platform
	// entryOnly returns the matching image entry as the index describes
	// it, without fetching it (Digest).
	entryOnly bool

	offered    []string // platforms seen, in order, without repeats
	unlabelled int      // image entries without a platform
	nested     int      // nested indexes fetched
	entries    int      // entries seen, attestations included
}

func (s *platformSearch) in(ctx context.Context, doc *document, depth int) (*Manifest, *document, error) {
	for _, d := range doc.Manifests {
		s.entries++
		p := d.platform()
		if platform.IsAttestation(p, d.Annotations) {
			continue
		}
		if p != nil {
			s.offer(*p)
		}
		if !isManifestType(d.MediaType) {
			// Not a kind this provider reads: an error when it is the one
			// asked for, so that the user learns why, else passed over.
			if p != nil && platform.Matches(s.want, *p) {
				return nil, nil, entryError(d, unsupportedEntry(d.MediaType))
			}
			continue
		}
		if IsIndex(d.MediaType) {
			// A nested index is searched unless its entry states another
			// platform.
			if p != nil && !platform.Matches(s.want, *p) {
				continue
			}
			m, cd, err := s.descend(ctx, d, depth)
			if err != nil || m != nil {
				return m, cd, err
			}
			continue
		}
		if p == nil {
			s.unlabelled++
			continue
		}
		if !platform.Matches(s.want, *p) {
			continue
		}
		if s.entryOnly {
			return &Manifest{Digest: d.Digest, MediaType: d.MediaType, Size: d.Size}, nil, nil
		}
		m, err := s.c.fetchEntry(ctx, s.ref, s.s, d)
		if err != nil {
			return nil, nil, err
		}
		cd, err := parseDocument(m)
		if err != nil {
			return nil, nil, entryError(d, err)
		}
		if !IsIndex(m.MediaType) {
			return m, cd, nil
		}
		// The entry said image, the content is an index: the content,
		// checked against its digest, decides.
		if depth+1 > maxIndexDepth {
			return nil, nil, malformedf("indexes nest more than %d deep", maxIndexDepth)
		}
		if m, cd, err := s.in(ctx, cd, depth+1); err != nil || m != nil {
			return m, cd, err
		}
	}
	return nil, nil, nil
}

func (s *platformSearch) descend(ctx context.Context, d descriptorDoc, depth int) (*Manifest, *document, error) {
	if depth+1 > maxIndexDepth {
		return nil, nil, malformedf("indexes nest more than %d deep", maxIndexDepth)
	}
	if s.nested >= maxNestedIndexes {
		return nil, nil, malformedf("the index refers to more than %d nested indexes", maxNestedIndexes)
	}
	s.nested++
	m, err := s.c.fetchEntry(ctx, s.ref, s.s, d)
	if err != nil {
		return nil, nil, err
	}
	cd, err := parseDocument(m)
	if err != nil {
		return nil, nil, entryError(d, err)
	}
	if !IsIndex(m.MediaType) {
		// An image behind an entry that said index, stating no platform
		// the search could check: not a candidate.
		s.unlabelled++
		return nil, nil, nil
	}
	return s.in(ctx, cd, depth+1)
}

// unsupportedEntry is the error for an index entry of a media type this
// provider does not read.
func unsupportedEntry(mediaType string) error {
	switch types.MediaType(mediaType) {
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return &UnsupportedError{MediaType: mediaType, Schema1: true}
	}
	return &UnsupportedError{MediaType: mediaType}
}

func (s *platformSearch) offer(p platform.Platform) {
	str := p.String()
	for _, o := range s.offered {
		if o == str {
			return
		}
	}
	s.offered = append(s.offered, str)
}

func (s *platformSearch) noMatch() error {
	return &PlatformError{Want: s.want, Index: true, Offered: s.offered, Unlabelled: s.unlabelled, Entries: s.entries}
}

// fetchEntry fetches the manifest an index entry points to, by digest, and
// holds it to the entry's size.
func (c *Client) fetchEntry(ctx context.Context, ref imageref.Reference, s *session, d descriptorDoc) (*Manifest, error) {
	child := ref
	child.Digest = d.Digest
	m, err := c.fetchManifest(ctx, child, s)
	if err != nil {
		return nil, entryError(d, err)
	}
	if m.Size != d.Size {
		return nil, entryError(d, malformedf("the index gives its size as %d bytes, but the manifest served is %d bytes", d.Size, m.Size))
	}
	return m, nil
}

func entryError(d descriptorDoc, err error) error {
	what := "index entry " + d.Digest
	if p := d.platform(); p != nil {
		what += " (" + p.String() + ")"
	}
	return fmt.Errorf("%s: %w", what, err)
}

// image describes an image manifest and reads its config when it is an
// image config.
func (c *Client) image(ctx context.Context, ref imageref.Reference, s *session, m *Manifest, doc *document) (*Image, error) {
	if doc.Config == nil {
		return nil, malformedf("image manifest %s has no config", m.Digest)
	}
	img := &Image{
		Digest:    m.Digest,
		MediaType: m.MediaType,
		Config:    doc.Config.descriptor(),
		Layers:    make([]Descriptor, len(doc.Layers)),
	}
	for i, l := range doc.Layers {
		img.Layers[i] = l.descriptor()
	}
	if !isImageConfig(img.Config.MediaType) {
		return img, nil
	}
	raw, err := c.fetchBlob(ctx, ref, s, img.Config, MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", img.Config.Digest, err)
	}
	var cfg imageConfigDoc
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, malformedf("config %s is not a valid image config: %w", img.Config.Digest, err)
	}
	img.ImageConfig = true
	img.OS, img.Architecture, img.Variant, img.OSVersion = cfg.OS, cfg.Architecture, cfg.Variant, cfg.OSVersion
	img.Created = createdTime(cfg.Created)
	img.Labels = cfg.Config.Labels
	return img, nil
}

// createdTime returns the config's created value when it is an RFC 3339
// time, as written; "" when absent, not a string, not RFC 3339, or Go's zero
// time (which tools write when they know no time).
func createdTime(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return ""
	}
	return s
}

// document is a manifest or an index, with every field this package reports.
type document struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       *descriptorDoc    `json:"config"`
	Layers       []descriptorDoc   `json:"layers"`
	Manifests    []descriptorDoc   `json:"manifests"`
	Subject      *descriptorDoc    `json:"subject"`
	Annotations  map[string]string `json:"annotations"`
}

type descriptorDoc struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *platformDoc      `json:"platform"`
}

type platformDoc struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
	OSVersion    string `json:"os.version"`
}

type imageConfigDoc struct {
	Created      json.RawMessage `json:"created"`
	OS           string          `json:"os"`
	Architecture string          `json:"architecture"`
	Variant      string          `json:"variant"`
	OSVersion    string          `json:"os.version"`
	Config       struct {
		Labels map[string]string `json:"Labels"`
	} `json:"config"`
}

func (d descriptorDoc) platform() *platform.Platform {
	if d.Platform == nil {
		return nil
	}
	return &platform.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant, OSVersion: d.Platform.OSVersion}
}

func (d descriptorDoc) descriptor() Descriptor {
	return Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations, Platform: d.platform()}
}

// parseDocument reads the fields this package reports from a manifest that
// describe has accepted, and checks every digest in it: they end up in URLs
// and in Terraform state.
func parseDocument(m *Manifest) (*document, error) {
	var doc document
	if err := json.Unmarshal(m.Raw, &doc); err != nil {
		return nil, malformedf("manifest %s does not parse: %w", m.Digest, err)
	}
	check := func(what string, d *descriptorDoc) error {
		if err := digest.Validate(d.Digest); err != nil {
			return malformedf("manifest %s: %s: %w", m.Digest, what, err)
		}
		if d.Size < 0 {
			return malformedf("manifest %s: %s has a negative size", m.Digest, what)
		}
		return nil
	}
	if doc.Config != nil {
		if err := check("config", doc.Config); err != nil {
			return nil, err
		}
	}
	for i := range doc.Layers {
		if err := check(fmt.Sprintf("layer %d", i), &doc.Layers[i]); err != nil {
			return nil, err
		}
	}
	for i := range doc.Manifests {
		if err := check(fmt.Sprintf("entry %d", i), &doc.Manifests[i]); err != nil {
			return nil, err
		}
	}
	if doc.Subject != nil {
		if err := check("subject", doc.Subject); err != nil {
			return nil, err
		}
	}
	return &doc, nil
}
