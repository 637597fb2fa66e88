package registry

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestDigestsConcurrentLogging resolves many references at once on a
// context that logs and masks, as a data source's Read context does: with a
// shared logger field map, terraform-plugin-log's masking would crash the
// process (concurrent map iteration and map write). Each reference is
// answered, in order, and equal ones once. (Under -race, a shared context
// fails this test at once.)
func TestDigestsConcurrentLogging(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	want := map[string]string{}
	for r := range 4 {
		for tag := range 8 {
			s := fmt.Sprintf("team/app%d:%d", r, tag)
			img, err := reg.PushImage(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := img.Digest()
			want[reg.Host+"/"+s] = d.String()
		}
	}
	var refs []imageref.Reference
	var names []string
	for range 2 { // every reference twice
		for s := range want {
			refs = append(refs, mustParse(t, s))
			names = append(names, s)
		}
	}
	var logs bytes.Buffer
	ctx = tflogtest.RootLogger(ctx, &logs)
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "password", "token")
	ctx = tflog.MaskLogStrings(ctx, password)
	ctx = tflog.SetField(ctx, "shared", "field")
	c := newClient(t, reg, auth.Credentials{Username: user, Password: password})
	results := c.Digests(ctx, refs, nil)
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", names[i], r.Err)
		}
		if r.Head.Digest != want[names[i]] || r.Head.ImageDigest != want[names[i]] {
			t.Errorf("%s: digest %s, image digest %s; want %s", names[i], r.Head.Digest, r.Head.ImageDigest, want[names[i]])
		}
	}
	if heads, distinct := reg.Requests.Count("HEAD", "/v2/team/"), len(want); heads != distinct {
		t.Errorf("%d HEAD requests for %d distinct references", heads, distinct)
	}
	if gets := reg.Requests.Count("GET", "/v2/team/"); gets != 0 {
		t.Errorf("%d GET requests; HEAD answered every reference", gets)
	}
	if bytes.Contains(logs.Bytes(), []byte(password)) {
		t.Error("the password appears in the logs")
	}
}

// TestByRepository: each repository's first reference comes before any
// repository's second, and the order within a repository is kept.
func TestByRepository(t *testing.T) {
	var refs []imageref.Reference
	for _, s := range []string{"r.io/a:1", "r.io/a:2", "r.io/a:3", "r.io/b:1", "r.io/c:1", "r.io/c:2"} {
		refs = append(refs, mustParse(t, s))
	}
	got := byRepository(refs, []int{0, 1, 2, 3, 4, 5})
	want := []int{0, 3, 4, 1, 5, 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("byRepository = %v, want %v", got, want)
	}
}
