// Command terraform-provider-imageinfo is a Terraform provider that resolves
// container image references to digests and metadata.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/logenv"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/provider"
)

// version is set at build time by goreleaser.
var version = "dev"

//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name imageinfo

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	logenv.Quiet(debug)

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/imageinfo/imageinfo",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
