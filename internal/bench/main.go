// Command bench is what `make bench` runs after the Go benchmarks: it starts
// the reference registry in-process with token authentication, pushes
// repos x tags images, and runs `terraform plan` over one imageinfo_manifest
// per image twice (cold cache, then warm), counting at the registry every
// request by kind. As a baseline it runs `crane digest` for the same
// references, one after the other, against the same registry. It prints a
// table, and exits non-zero if a plan exceeds the request floor of issue 6.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

var keep bool

const (
	benchUser     = "bench"
	benchPassword = "bench-password-not-a-secret"
)

type counts struct {
	Ping, Token, Head, GetManifest, GetBlob, Other int
}

func (c counts) total() int { return c.Ping + c.Token + c.Head + c.GetManifest + c.GetBlob + c.Other }

type run struct {
	name    string
	counts  counts
	wall    time.Duration
	maxRSS  string
	floor   int
	checked bool
}

func main() {
	providerDir := flag.String("provider-dir", "bin", "directory holding the built terraform-provider-imageinfo")
	terraform := flag.String("terraform", "terraform", "Terraform or OpenTofu binary")
	crane := flag.String("crane", "bin/crane", "crane binary, for the baseline")
	repos := flag.Int("repos", 50, "repositories")
	tags := flag.Int("tags", 4, "tags per repository")
	latencies := flag.String("latency", "0s,20ms", "comma-separated round-trip latencies to run the comparison at: loopback's zero favours a process per request, real registries are tens of milliseconds away")
	flag.BoolVar(&keep, "keep", false, "after the runs, keep the registry and the Terraform working directory until interrupted, for profiling")
	flag.Parse()
	failed := false
	for _, l := range strings.Split(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(l))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -latency:", err)
			os.Exit(2)
		}
		if err := bench(*providerDir, *terraform, *crane, *repos, *tags, d); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func bench(providerDir, terraform, crane string, repos, tags int, latency time.Duration) error {
	ctx := context.Background()
	providerDir, err := filepath.Abs(providerDir)
	if err != nil {
		return err
	}
	reg, err := registrytest.Start(ctx, registrytest.Options{
		Auth:    registrytest.AuthToken,
		Users:   map[string]string{benchUser: benchPassword},
		Latency: latency,
	})
	if err != nil {
		return err
	}
	defer reg.Close()

	images := repos * tags
	fmt.Printf("pushing %d images (%d repositories x %d tags) to %s ...\n", images, repos, tags, reg.URL)
	var refs []string
	for r := range repos {
		for t := range tags {
			ref := fmt.Sprintf("bench/app%02d:v%d", r, t)
			if _, err := reg.PushImage(ctx, ref, registrytest.WithLabels(map[string]string{"org.opencontainers.image.revision": fmt.Sprint(r, t)})); err != nil {
				return fmt.Errorf("pushing %s: %w", ref, err)
			}
			refs = append(refs, reg.Host+"/"+ref)
		}
	}

	work, err := os.MkdirTemp("", "imageinfo-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := writeConfig(work, reg.Host, providerDir, refs); err != nil {
		return err
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(work, "terraformrc"), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"DOCKER_CONFIG="+filepath.Join(work, "docker"))

	floorCold := 2*images + repos + 1
	floorWarm := images + repos + 1
	var runs []run
	for i, name := range []string{"terraform plan, cold cache", "terraform plan, warm cache"} {
		reg.Requests.Reset()
		reg.TokenRequests.Reset()
		args := append([]string{"plan", "-input=false", "-no-color", "-lock=false"}, strings.Fields(os.Getenv("BENCH_PLAN_ARGS"))...)
		wall, rss, err := timed(env, filepath.Join(work, "tf"), terraform, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		floor := floorCold
		if i == 1 {
			floor = floorWarm
		}
		runs = append(runs, run{name: name, counts: count(reg), wall: wall, maxRSS: rss, floor: floor, checked: true})
	}

	if _, err := os.Stat(crane); err == nil {
		reg.Requests.Reset()
		reg.TokenRequests.Reset()
		start := time.Now()
		for _, ref := range refs {
			cmd := exec.Command(crane, "digest", ref)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("crane digest %s: %v: %s", ref, err, out)
			}
		}
		runs = append(runs, run{name: "crane digest, sequential", counts: count(reg), wall: time.Since(start), maxRSS: "-"})
	} else {
		fmt.Printf("no crane at %s: baseline skipped\n", crane)
	}
	if err := report(runs, images, repos, latency); err != nil {
		return err
	}
	if keep {
		fmt.Printf("\nregistry %s and working directory %s kept; run terraform there with TF_CLI_CONFIG_FILE=%s. Interrupt to stop.\n",
			reg.URL, filepath.Join(work, "tf"), filepath.Join(work, "terraformrc"))
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
	}
	return nil
}

func writeConfig(work, host, providerDir string, refs []string) error {
	if err := tfcli.WriteDevOverrides(filepath.Join(work, "terraformrc"), providerDir); err != nil {
		return err
	}
	// crane reads the Docker config; the provider is given its registry block.
	auth := base64.StdEncoding.EncodeToString([]byte(benchUser + ":" + benchPassword))
	docker, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	if err := os.MkdirAll(filepath.Join(work, "docker"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "docker", "config.json"), docker, 0o600); err != nil {
		return err
	}
	list, _ := json.Marshal(refs)
	tf := fmt.Sprintf(`terraform {
  required_providers {
    imageinfo = { source = "imageinfo/imageinfo" }
  }
}

provider "imageinfo" {
  cache_dir     = %q
  docker_config = false
  registry {
    address  = %q
    username = %q
    password = %q
  }
}

locals {
  refs = %s
}

data "imageinfo_manifest" "image" {
  for_each  = toset(local.refs)
  reference = each.value
}

# Every attribute of every data source is referenced.
output "images" {
  value = data.imageinfo_manifest.image
}
`, filepath.Join(work, "cache"), host, benchUser, benchPassword, list)
	if err := os.MkdirAll(filepath.Join(work, "tf"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(work, "tf", "main.tf"), []byte(tf), 0o600)
}

var maxRSSLine = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// timed runs a command under GNU time when it is installed, for the peak
// memory, and measures its wall time.
func timed(env []string, dir, name string, args ...string) (time.Duration, string, error) {
	rssFile := filepath.Join(dir, ".time")
	argv := append([]string{name}, args...)
	useTime := false
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		argv = append([]string{"/usr/bin/time", "-v", "-o", rssFile}, argv...)
		useTime = true
	}
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:gosec // The developer names the binaries with flags.
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return 0, "", fmt.Errorf("%v:\n%s", err, tail(out, 40))
	}
	rss := "-"
	if useTime {
		if b, err := os.ReadFile(rssFile); err == nil {
			if m := maxRSSLine.FindSubmatch(b); m != nil {
				kb, _ := strconv.Atoi(string(m[1]))
				rss = fmt.Sprintf("%d MiB", kb/1024)
			}
		}
	}
	return wall, rss, nil
}

func tail(b []byte, lines int) string {
	var all []string
	s := bufio.NewScanner(strings.NewReader(string(b)))
	for s.Scan() {
		all = append(all, s.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

func count(reg *registrytest.Registry) counts {
	var c counts
	for _, r := range reg.Requests.All() {
		switch {
		case r.Path == "/v2/":
			c.Ping++
		case strings.Contains(r.Path, "/manifests/") && r.Method == "HEAD":
			c.Head++
		case strings.Contains(r.Path, "/manifests/") && r.Method == "GET":
			c.GetManifest++
		case strings.Contains(r.Path, "/blobs/") && r.Method == "GET":
			c.GetBlob++
		default:
			c.Other++
		}
	}
	c.Token = len(reg.TokenRequests.All())
	return c
}

func report(runs []run, images, repos int, latency time.Duration) error {
	fmt.Printf("\n%d images in %d repositories on 1 registry, token auth, %s added to every request\n\n", images, repos, latency)
	fmt.Println("| run | ping | token | HEAD | GET manifest | GET blob | total | per image | floor | wall | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	var failed []string
	for _, r := range runs {
		c := r.counts
		floor := "-"
		if r.checked {
			floor = fmt.Sprintf("<= %d", r.floor)
			if c.total() > r.floor {
				failed = append(failed, fmt.Sprintf("%s: %d requests, floor %d", r.name, c.total(), r.floor))
			}
		}
		fmt.Printf("| %s | %d | %d | %d | %d | %d | %d | %.2f | %s | %.2fs | %s |\n", r.name, c.Ping, c.Token, c.Head,
			c.GetManifest, c.GetBlob, c.total(), float64(c.total())/float64(images), floor, r.wall.Seconds(), r.maxRSS)
	}
	if len(runs) == 3 {
		fmt.Printf("\nwall time, plan / crane: cold %.2fx, warm %.2fx; requests, plan / crane: cold %.2fx, warm %.2fx\n",
			runs[0].wall.Seconds()/runs[2].wall.Seconds(), runs[1].wall.Seconds()/runs[2].wall.Seconds(),
			float64(runs[0].counts.total())/float64(runs[2].counts.total()), float64(runs[1].counts.total())/float64(runs[2].counts.total()))
		fmt.Println("(the plans also read every image's config, which crane digest does not)")
	}
	if len(failed) > 0 {
		return errors.New("over the request floor: " + strings.Join(failed, "; "))
	}
	fmt.Println("\nboth plans are within the request floor")
	return nil
}
