// Package provider translates between Terraform and the provider's plain Go
// packages: schemas, models, and diagnostics. It never speaks HTTP itself.
package provider

import (
	"context"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var (
	_ provider.Provider                   = (*imageinfoProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*imageinfoProvider)(nil)
)

// providerTypeName prefixes the provider's data sources and functions.
const providerTypeName = "imageinfo"

type imageinfoProvider struct {
	version string
	// configured is what Configure handed to the data sources, for the
	// reads the provider's server answers without the framework.
	configured atomic.Pointer[providerData]
}

func (p *imageinfoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = providerTypeName
	resp.Version = p.version
}

func (p *imageinfoProvider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *imageinfoProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newManifestDataSource,
		newTagsDataSource,
		newDigestsDataSource,
		newReferrersDataSource,
		newSignatureDataSource,
	}
}

// Functions are pure: they never use the client or the configuration.
func (p *imageinfoProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{
		newParseReferenceFunction,
		newPinFunction,
	}
}
