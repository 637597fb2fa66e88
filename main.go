// Command terraform-provider-imageinfo is a Terraform provider that resolves
// container image references to digests and metadata.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

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
	tuneGC()

	// As providerserver.Serve serves a framework provider, with the
	// provider's own server in front of the framework's (see
	// internal/provider/server.go).
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	if err := tf6server.Serve("registry.terraform.io/imageinfo/imageinfo", provider.ProtocolV6(version), opts...); err != nil {
		log.Fatal(err.Error())
	}
}

// tuneGC makes garbage collection rarer in a process that lives for one
// Terraform command and keeps little: a cycle when the heap has grown to five
// times what the last one kept, not twice, within a soft limit of 64 MiB
// above which it collects as often as it must. A warm plan of many data
// sources spent a fifth of the provider's CPU collecting. GOGC and
// GOMEMLIMIT, when set, decide instead.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
}
