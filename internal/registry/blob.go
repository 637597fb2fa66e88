package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// fetchBlob reads a small blob (a config) of ref's repository through the
// repository's authenticated transport, and checks it against the
// descriptor's digest and size. Blobs larger than limit are refused before
// they are read.
func (c *Client) fetchBlob(ctx context.Context, ref imageref.Reference, s *session, d Descriptor, limit int64) ([]byte, error) {
	if d.Size > limit {
		return nil, malformedf("the manifest gives its size as %d bytes, more than the %d bytes this provider reads", d.Size, limit)
	}
	if raw, ok := c.opts.Cache.Get(d.Digest, limit); ok && int64(len(raw)) == d.Size {
		return raw, nil
	}
	resp, err := c.get(ctx, s, c.v2URL(ref, "blobs/"+d.Digest), "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, err
	}
	if resp.ContentLength > d.Size {
		return nil, malformedf("the registry announced %d bytes, but the manifest gives its size as %d", resp.ContentLength, d.Size)
	}
	// One byte more than announced, to notice a blob longer than its size.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, d.Size+1))
	if err != nil {
		return nil, err
	}
	switch n := int64(len(raw)); {
	case n > d.Size:
		return nil, malformedf("the manifest gives its size as %d bytes, but the blob served is longer", d.Size)
	case n < d.Size:
		return nil, malformedf("the manifest gives its size as %d bytes, but the blob served is %d bytes", d.Size, n)
	}
	got, err := digest.Of(digest.Algorithm(d.Digest), raw)
	if err != nil {
		return nil, malformedf("%w", err)
	}
	if got != d.Digest {
		return nil, &classifiedError{class: ClassDigestMismatch,
			err: fmt.Errorf("the blob served hashes to %s, but the manifest gives its digest as %s", got, d.Digest)}
	}
	_ = c.opts.Cache.Put(d.Digest, raw)
	return raw, nil
}
