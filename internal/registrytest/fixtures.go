package registrytest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ManifestFormat chooses between the two manifest families a registry
// serves.
type ManifestFormat int

const (
	// OCI pushes OCI image manifests and OCI image indexes (the default).
	OCI ManifestFormat = iota
	// Docker pushes Docker schema 2 manifests and manifest lists.
	Docker
)

// ImageOption customizes an image pushed by PushImage or PushIndex.
type ImageOption func(*imageOptions)

type imageOptions struct {
	format      ManifestFormat
	annotations map[string]string
	labels      map[string]string
	created     *time.Time
	platform    v1.Platform
	layers      int
	layerSize   int64
}

func defaultImageOptions() imageOptions {
	return imageOptions{
		platform:  v1.Platform{OS: "linux", Architecture: "amd64"},
		layers:    1,
		layerSize: 256,
	}
}

// WithMediaType selects OCI (the default) or Docker manifests; for
// PushIndex it applies to the index and every image in it.
func WithMediaType(f ManifestFormat) ImageOption {
	return func(o *imageOptions) { o.format = f }
}

// WithAnnotations sets manifest annotations: the image manifest's for
// PushImage, the index's for PushIndex. Default: none.
func WithAnnotations(a map[string]string) ImageOption {
	return func(o *imageOptions) { o.annotations = maps.Clone(a) }
}

// WithLabels sets config labels (config.Labels) on the image, or on every
// image of an index. Default: none.
func WithLabels(l map[string]string) ImageOption {
	return func(o *imageOptions) { o.labels = maps.Clone(l) }
}

// WithCreated sets the config's created time. Default: unset.
func WithCreated(t time.Time) ImageOption {
	return func(o *imageOptions) { o.created = &t }
}

// WithPlatform sets the config's os, architecture and variant for
// PushImage; PushIndex sets each image's from its platforms argument.
// Default: linux/amd64.
func WithPlatform(p v1.Platform) ImageOption {
	return func(o *imageOptions) { o.platform = p }
}

// WithLayers sets how many random layers of size bytes each image gets.
// Default: 1 layer of 256 bytes.
func WithLayers(n int, size int64) ImageOption {
	return func(o *imageOptions) { o.layers, o.layerSize = n, size }
}

// fixtureAuth is the identity the helpers push as: nobody the test knows,
// so fixtures never change what Users can do or what the logs show.
func (r *Registry) fixtureAuth() authn.Authenticator {
	if r.opts.Auth == AuthNone {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.adminUser, Password: r.adminPass}
}

func (r *Registry) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(r.fixtureAuth()),
		remote.WithTransport(fixtureRoundTripper{token: r.fixtureToken, next: r.fixtureTransport}),
	}
}

// fixtureRoundTripper marks requests so the servers skip Wrap and the logs.
type fixtureRoundTripper struct {
	token string
	next  http.RoundTripper
}

func (f fixtureRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(fixtureHeader, f.token)
	return f.next.RoundTrip(req)
}

// ref parses "repo:tag" or "repo@digest" relative to this registry.
func (r *Registry) ref(repoAndTag string) (name.Reference, error) {
	if repoAndTag == "" || strings.HasPrefix(repoAndTag, r.Host+"/") {
		return nil, fmt.Errorf("reference %q: want a repository and tag without the registry host", repoAndTag)
	}
	ref, err := name.ParseReference(r.Host+"/"+repoAndTag, name.StrictValidation, name.Insecure)
	if err != nil {
		return nil, fmt.Errorf("parse reference %q: %w", repoAndTag, err)
	}
	return ref, nil
}

// buildImage makes a small random image with the options applied.
func buildImage(o imageOptions, p v1.Platform) (v1.Image, error) {
	manifestMT, configMT, layerMT := types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer
	if o.format == Docker {
		manifestMT, configMT, layerMT = types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifestMT), configMT)
	for range o.layers {
		l, err := random.Layer(o.layerSize, layerMT)
		if err != nil {
			return nil, fmt.Errorf("random layer: %w", err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, fmt.Errorf("append layer: %w", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = p.OS, p.Architecture, p.Variant, p.OSVersion
	if len(o.labels) > 0 {
		cf.Config.Labels = maps.Clone(o.labels)
	}
	if o.created != nil {
		cf.Created = v1.Time{Time: *o.created}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// PushImage pushes a small random image to repoAndTag ("app:1",
// "team/app:1" or "app@sha256:..."), and returns it so tests can compute
// its digest, config digest and sizes with go-containerregistry.
func (r *Registry) PushImage(ctx context.Context, repoAndTag string, opts ...ImageOption) (v1.Image, error) {
	o := defaultImageOptions()
	for _, opt := range opts {
		opt(&o)
	}
	ref, err := r.ref(repoAndTag)
	if err != nil {
		return nil, err
	}
	img, err := buildImage(o, o.platform)
	if err != nil {
		return nil, err
	}
	if len(o.annotations) > 0 {
		annotated, ok := mutate.Annotations(img, o.annotations).(v1.Image)
		if !ok {
			return nil, fmt.Errorf("annotate image %s: not an image", repoAndTag)
		}
		img = annotated
	}
	if err := remote.Write(ref, img, r.remoteOptions(ctx)...); err != nil {
		return nil, fmt.Errorf("push image %s: %w", repoAndTag, err)
	}
	return img, nil
}

// PushIndex pushes an index (OCI, or a Docker manifest list with
// WithMediaType(Docker)) holding one small random image per platform, each
// descriptor carrying its platform, and returns it.
func (r *Registry) PushIndex(ctx context.Context, repoAndTag string, platforms []v1.Platform, opts ...ImageOption) (v1.ImageIndex, error) {
	o := defaultImageOptions()
	for _, opt := range opts {
		opt(&o)
	}
	ref, err := r.ref(repoAndTag)
	if err != nil {
		return nil, err
	}
	indexMT := types.OCIImageIndex
	if o.format == Docker {
		indexMT = types.DockerManifestList
	}
	idx := mutate.IndexMediaType(empty.Index, indexMT)
	for _, p := range platforms {
		img, err := buildImage(o, p)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	if len(o.annotations) > 0 {
		annotated, ok := mutate.Annotations(idx, o.annotations).(v1.ImageIndex)
		if !ok {
			return nil, fmt.Errorf("annotate index %s: not an index", repoAndTag)
		}
		idx = annotated
	}
	if err := remote.WriteIndex(ref, idx, r.remoteOptions(ctx)...); err != nil {
		return nil, fmt.Errorf("push index %s: %w", repoAndTag, err)
	}
	return idx, nil
}

// rawManifest is a Taggable with a media type, for PushRaw.
type rawManifest struct {
	body []byte
	mt   types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.body, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// PushRaw puts body as the manifest repo:tagOrDigest with Content-Type
// mediaType, for fixtures go-containerregistry would not build (odd media
// types, extra fields, unusual platforms). Nothing it refers to is pushed:
// distribution checks that an image manifest's config and layers exist
// (push them with PushBlob) and that an index's manifests exist (unless
// Options.AllowIncompleteIndexes), and it rejects bodies that do not parse
// as the media type says.
func (r *Registry) PushRaw(ctx context.Context, repo, tagOrDigest string, mediaType string, body []byte) error {
	sep := ":"
	if strings.Contains(tagOrDigest, ":") {
		sep = "@"
	}
	ref, err := r.ref(repo + sep + tagOrDigest)
	if err != nil {
		return err
	}
	if err := remote.Put(ref, rawManifest{body: body, mt: types.MediaType(mediaType)}, r.remoteOptions(ctx)...); err != nil {
		return fmt.Errorf("push manifest %s%s%s: %w", repo, sep, tagOrDigest, err)
	}
	return nil
}

// PushBlob uploads data as a blob of repo and returns its digest, for
// PushRaw manifests to refer to.
func (r *Registry) PushBlob(ctx context.Context, repo string, data []byte) (v1.Hash, error) {
	ref, err := r.ref(repo + ":latest")
	if err != nil {
		return v1.Hash{}, err
	}
	l := static.NewLayer(data, types.OCILayer)
	if err := remote.WriteLayer(ref.Context(), l, r.remoteOptions(ctx)...); err != nil {
		return v1.Hash{}, fmt.Errorf("push blob to %s: %w", repo, err)
	}
	return l.Digest()
}
