// Command debugprovider serves the provider as `terraform-provider-imageinfo
// -debug` does, for Terraform to attach to through TF_REATTACH_PROVIDERS, and
// profiles it: a CPU profile of everything it does until it is interrupted,
// and the process's CPU time. `go run ./internal/bench -profile DIR` runs it
// around a warm plan; run by hand, it prints the TF_REATTACH_PROVIDERS value
// to use.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/logenv"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/provider"
)

func main() {
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the provider here when it stops")
	envFile := flag.String("env-file", "", "write TF_REATTACH_PROVIDERS='…' here once the provider listens")
	flag.Parse()
	// As under a plan with no TF_LOG set: the loggers off (not as in a
	// -debug session, whose output a developer reads).
	logenv.Quiet(false)
	if err := serve(*cpuProfile, *envFile); err != nil {
		fmt.Fprintln(os.Stderr, "debugprovider:", err)
		os.Exit(1)
	}
}

func serve(cpuProfile, envFile string) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	opts := []tf6server.ServeOpt{tf6server.WithManagedDebug(), tf6server.WithManagedDebugReattachConfigTimeout(10 * time.Second)}
	if envFile != "" {
		opts = append(opts, tf6server.WithManagedDebugEnvFilePath(envFile))
	}
	err := tf6server.Serve("registry.terraform.io/imageinfo/imageinfo", provider.ProtocolV6("bench"), opts...)
	var ru syscall.Rusage
	if rerr := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); rerr == nil {
		fmt.Printf("provider CPU: user %.3fs system %.3fs\n", tv(ru.Utime), tv(ru.Stime))
	}
	return err
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
