package registry

import (
	"context"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
)

// BenchmarkDigests resolves every image at once with one client and a warm
// cache, as imageinfo_digests does on every plan after the first: one HEAD
// per reference, concurrently.
func BenchmarkDigests(b *testing.B) {
	reg, refs := benchRegistry(b)
	ctx := context.Background()
	store, err := cache.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	c := benchClient(reg, store)
	defer c.Close()
	c.Digests(ctx, refs, nil)
	reg.Requests.Reset()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range c.Digests(ctx, refs, nil) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(len(reg.Requests.All()))/float64(b.N*len(refs)), "requests/image")
}
