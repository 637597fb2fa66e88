package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var _ function.Function = (*pinFunction)(nil)

func newPinFunction() function.Function { return &pinFunction{} }

// pinFunction is provider::imageinfo::pin.
type pinFunction struct{}

func (f *pinFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "pin"
}

func (f *pinFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Pin an image reference to a digest, dropping its tag.",
		MarkdownDescription: "Returns `<registry>/<repository>@<digest>`, the reference that always means the same content, " +
			"with the reference normalised as `imageinfo_manifest` normalises it (so `nginx:1.27` and `sha256:…` give " +
			"`docker.io/library/nginx@sha256:…`, exactly like that data source's `pinned_reference`). The tag is dropped: a " +
			"runtime given both would use the digest anyway.\n\n" +
			"Both arguments are checked, without any network I/O: the reference must be valid, and the digest must be " +
			"`sha256:` followed by 64 lower-case hex digits (or `sha512:` and 128): the algorithms OCI registries use. A reference that already " +
			"carries a digest is accepted when it is the same digest, so pinning is idempotent; a different digest is an " +
			"error rather than a silent replacement, since one of the two is then not what was meant.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "reference",
				MarkdownDescription: "An image reference, e.g. `nginx:1.27` or `ghcr.io/o/app:v1`.",
			},
			function.StringParameter{
				Name:                "digest",
				MarkdownDescription: "The digest to pin to, e.g. `data.imageinfo_manifest.app.digest`.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *pinFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var s, digest string
	resp.Error = req.Arguments.Get(ctx, &s, &digest)
	if resp.Error != nil {
		return
	}
	pinned, argument, err := pin(s, digest)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(argument, validators.Capitalize(err.Error())+".")
		return
	}
	resp.Error = resp.Result.Set(ctx, pinned)
}

// pin is the function's logic: the pinned reference, or an error and the
// index of the argument at fault.
func pin(s, digest string) (string, int64, error) {
	ref, err := imageref.Parse(s)
	if err != nil {
		return "", 0, err
	}
	if err := imageref.ValidateDigest(digest); err != nil {
		return "", 1, err
	}
	if ref.Digest != "" && ref.Digest != digest {
		return "", 1, fmt.Errorf("the reference %q already pins %s, not %s: pass the reference without its digest to pin it anew", s, ref.Digest, digest)
	}
	return ref.Pin(digest), 0, nil
}
