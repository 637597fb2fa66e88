package validators

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// ReferenceMap accepts a map whose every known value is an image reference.
// Each invalid one is an error whose text names its key and value: a map
// that comes from a variable shows no key in the attribute path.
func ReferenceMap() validator.Map { return referenceMap{} }

type referenceMap struct{}

const referenceMapDescription = "every value must be an image reference such as nginx, nginx:1.27, ghcr.io/o/app@sha256:…"

func (referenceMap) Description(context.Context) string         { return referenceMapDescription }
func (referenceMap) MarkdownDescription(context.Context) string { return referenceMapDescription }

func (referenceMap) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elements := req.ConfigValue.Elements()
	keys := make([]string, 0, len(elements))
	for k := range elements {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := elements[k].(types.String)
		if !ok || v.IsUnknown() {
			continue
		}
		if v.IsNull() {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Invalid Image Reference",
				fmt.Sprintf("Key %q has no reference (null).", k))
			continue
		}
		if _, err := imageref.Parse(v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Invalid Image Reference",
				fmt.Sprintf("Key %q: %q is not an image reference: %s.", k, v.ValueString(), err))
		}
	}
}
