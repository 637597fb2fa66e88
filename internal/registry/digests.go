package registry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
)

// DigestConcurrency bounds how many references of one registry Digests
// resolves at once.
const DigestConcurrency = 16

// Head is what a reference points to, as a HEAD request tells it: the
// manifest's digest, media type and size, without its content.
type Head struct {
	Digest    string
	MediaType string
	Size      int64
	// ImageDigest is the single-platform image: Digest itself for an image
	// manifest; for an index, the entry chosen by the platform asked for,
	// and "" when none was asked for.
	ImageDigest string
}

// DigestResult is the answer for one reference of Digests.
type DigestResult struct {
	Head *Head
	// Err is an *Error when the reference could not be resolved.
	Err error
}

// Digests resolves many references at the cost of one HEAD each, as Digest
// does, concurrently: at most DigestConcurrency requests per registry at a
// time, and references that ask the registry the same question (equal
// after normalisation) once. Results are in the order of refs.
//
// Every reference is resolved on a context of its own, so that what the
// requests log never shares a logger's fields with another goroutine.
func (c *Client) Digests(ctx context.Context, refs []imageref.Reference, want *platform.Platform) []DigestResult {
	type question struct{ registry, repository, identifier string }
	results := make([]DigestResult, len(refs))
	first := map[question]int{} // question -> index of the first reference asking it
	same := make([]int, len(refs))
	queues := map[string][]int{} // registry -> indexes of the references to resolve
	var registries []string
	for i, ref := range refs {
		q := question{ref.Registry, ref.Repository, ref.Identifier()}
		if j, ok := first[q]; ok {
			same[i] = j
			continue
		}
		first[q], same[i] = i, i
		if _, ok := queues[ref.Registry]; !ok {
			registries = append(registries, ref.Registry)
		}
		queues[ref.Registry] = append(queues[ref.Registry], i)
	}
	// A few workers per registry, not a goroutine per reference: thousands
	// of references cost no more memory than sixteen.
	var wg sync.WaitGroup
	for _, registry := range registries {
		order := byRepository(refs, queues[registry])
		queue := make(chan int, len(order))
		for _, i := range order {
			queue <- i
		}
		close(queue)
		for range min(DigestConcurrency, len(queues[registry])) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range queue {
					ref := refs[i]
					own := tflog.SetField(ctx, "reference", ref.String())
					results[i].Head, results[i].Err = c.Digest(own, ref, want)
				}
			}()
		}
	}
	wg.Wait()
	for i, j := range same {
		if i != j {
			results[i] = results[j]
		}
	}
	return results
}

// byRepository orders the references of one registry so that each
// repository's first comes before any repository's second: the workers then
// authenticate to as many repositories at once as they can, instead of
// waiting on each other for one repository's token.
func byRepository(refs []imageref.Reference, indexes []int) []int {
	var repos []string
	byRepo := map[string][]int{}
	for _, i := range indexes {
		r := refs[i].Repository
		if _, ok := byRepo[r]; !ok {
			repos = append(repos, r)
		}
		byRepo[r] = append(byRepo[r], i)
	}
	out := make([]int, 0, len(indexes))
	for round := 0; len(out) < len(indexes); round++ {
		for _, r := range repos {
			if round < len(byRepo[r]) {
				out = append(out, byRepo[r][round])
			}
		}
	}
	return out
}

// Digest resolves ref to the digest, media type and size of the manifest it
// points to. A tag costs one HEAD; so does a reference by digest, unless its
// manifest is cached (then nothing). The manifest is fetched only when the
// HEAD answer is not usable (no or a wrong Docker-Content-Digest, no
// manifest media type or size, or HEAD refused with 403 or 405), and then
// checked against its digest and cached. With want set, an index is read
// (from the cache when it is there) to choose the image for that platform;
// a single image is taken as it is, without reading its config.
func (c *Client) Digest(ctx context.Context, ref imageref.Reference, want *platform.Platform) (*Head, error) {
	return run(ctx, c, ref, ref.Identifier(), func(ctx context.Context, s *session) (*Head, error) {
		h, err := c.head(ctx, ref, s)
		if err != nil || want == nil {
			return h, err
		}
		if err := c.chooseImage(ctx, ref, s, h, *want); err != nil {
			return nil, err
		}
		return h, nil
	})
}

func (c *Client) head(ctx context.Context, ref imageref.Reference, s *session) (*Head, error) {
	store := c.opts.Cache
	if ref.Digest != "" {
		if m := cachedManifest(store, ref.Digest); m != nil {
			return headOf(m), nil
		}
	}
	h, err := c.headDescriptor(ctx, ref, s)
	if err != nil || h != nil {
		return h, err
	}
	// No usable answer: the manifest itself, checked against its digest and
	// cached, and for a tag the digest it points to remembered, as
	// imageinfo_manifest does (a tag's digest alone is not: it saves a read
	// nothing unless the content is cached too).
	m, err := c.getManifest(ctx, ref, s)
	if err != nil {
		return nil, err
	}
	if ref.Digest == "" {
		_ = store.SetTagDigest(ref.String(), m.Digest)
	}
	return headOf(m), nil
}

func headOf(m *Manifest) *Head {
	h := &Head{Digest: m.Digest, MediaType: m.MediaType, Size: m.Size}
	if !IsIndex(m.MediaType) {
		h.ImageDigest = m.Digest
	}
	return h
}

// headDescriptor sends the HEAD. It returns nil (and no error) when the
// answer does not say all of digest, media type and size, or says them
// wrongly, or when the registry refuses HEAD with 403 or 405 as some do.
func (c *Client) headDescriptor(ctx context.Context, ref imageref.Reference, s *session) (*Head, error) {
	resp, err := c.do(ctx, s, http.MethodHead, c.manifestURL(ref), strings.Join(acceptedMediaTypes, ", "))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusMethodNotAllowed:
		return nil, nil
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, err
	}
	dgst := resp.Header.Get("Docker-Content-Digest")
	mediaType := mediaTypeOf(resp.Header.Get("Content-Type"))
	size, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	switch {
	case digest.Validate(dgst) != nil,
		ref.Digest != "" && dgst != ref.Digest,
		!isManifestType(mediaType),
		err != nil || size <= 0 || size > MaxManifestSize:
		return nil, nil
	}
	h := &Head{Digest: dgst, MediaType: mediaType, Size: size}
	if !IsIndex(mediaType) {
		h.ImageDigest = dgst
	}
	return h, nil
}

// chooseImage sets h.ImageDigest for an index: the first entry for want, as
// Resolve chooses it, reading the index (and nested indexes) from the cache
// or the registry, but not the chosen image.
func (c *Client) chooseImage(ctx context.Context, ref imageref.Reference, s *session, h *Head, want platform.Platform) error {
	if !IsIndex(h.MediaType) {
		return nil
	}
	byDigest := ref
	byDigest.Digest = h.Digest
	m := cachedManifest(c.opts.Cache, h.Digest)
	if m == nil {
		var err error
		if m, err = c.getManifest(ctx, byDigest, s); err != nil {
			return err
		}
	}
	doc, err := parseDocument(m)
	if err != nil {
		return err
	}
	search := &platformSearch{c: c, ref: ref, s: s, want: want, entryOnly: true}
	chosen, _, err := search.in(ctx, doc, 0)
	if err != nil {
		return err
	}
	if chosen == nil {
		return search.noMatch()
	}
	h.ImageDigest = chosen.Digest
	return nil
}
