// Package provider translates between Terraform and the provider's plain Go
// packages: schemas, models, and diagnostics. It never speaks HTTP itself.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var (
	_ provider.Provider                   = (*imageinfoProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*imageinfoProvider)(nil)
)

// New returns a constructor for the provider, as providerserver wants it.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &imageinfoProvider{version: version}
	}
}

type imageinfoProvider struct {
	version string
}

func (p *imageinfoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "imageinfo"
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
