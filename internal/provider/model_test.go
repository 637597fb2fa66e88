package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestStateTypesMatchSchemas: the attribute types a data source writes its
// state with are exactly those its schema declares, so that the state
// written without the framework's reflection is what Terraform expects.
func TestStateTypesMatchSchemas(t *testing.T) {
	for name, tc := range map[string]struct {
		ds    datasource.DataSource
		types map[string]attr.Type
	}{
		"imageinfo_manifest": {newManifestDataSource(), manifestAttrTypes},
		"imageinfo_digests":  {newDigestsDataSource(), digestsAttrTypes},
	} {
		t.Run(name, func(t *testing.T) {
			var resp datasource.SchemaResponse
			tc.ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
			got := resp.Schema.Type()
			want := types.ObjectType{AttrTypes: tc.types}
			if !got.Equal(want) {
				t.Errorf("schema type\n%s\nis not the state type\n%s", got, want)
			}
		})
	}
}
