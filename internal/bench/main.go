// Command bench is what `make bench` runs after the Go benchmarks. It starts
// the reference registry in-process with token authentication, pushes
// repos x tags images, and compares, side by side against the same registry
// in the same run, what it costs to resolve all of them with:
//
//   - kreuzwerker's docker_registry_image, one data source per image (when
//     -peer names a folder holding a built terraform-provider-docker);
//   - imageinfo_manifest, one data source per image, with a cold cache and
//     then a warm one, and one data source alone (warm): what a plan costs
//     before its reads (the provider's processes, their start, one read);
//   - one imageinfo_digests of all the images, cold and warm;
//   - `crane digest`, once per image, one after the other.
//
// Every configuration outputs the digests only. The registry counts every
// request by kind, and answers manifest requests with Docker Hub's
// ratelimit-* headers, so that a manifest GET is a counted pull. Each plan
// runs under GNU time (peak memory, Terraform's CPU), and each provider
// under a wrapper that records its own CPU time. It does all of it at each
// -latency, prints a table and the performance goals, and exits non-zero if a
// plan needs more requests than its floor.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

const (
	benchUser     = "bench"
	benchPassword = "bench-password-not-a-secret"
	// pullLimit is what the bench registry says a client may pull in its
	// window; large, so that no plan is warned.
	pullLimit = 1000000
)

type counts struct {
	Ping, Token, Head, GetManifest, GetBlob, Other int
}

func (c counts) total() int { return c.Ping + c.Token + c.Head + c.GetManifest + c.GetBlob + c.Other }

// run is one measured plan (or the crane loop).
type run struct {
	name    string
	kind    string // "peer", "one", "manifest", "digests", "crane"
	cache   string // "cold", "warm" or ""
	counts  counts
	pulls   int // manifest GETs answered with ratelimit-* headers
	wall    time.Duration
	tfCPU   time.Duration // Terraform with its plugins, from GNU time
	provCPU time.Duration // the provider process(es) alone
	tfRSS   int           // KiB, GNU time's peak for terraform and its plugins
	provRSS int           // KiB, the provider process alone
	procs   int           // provider processes Terraform started
	floor   int           // request floor, 0 for none
}

type options struct {
	providerDir, peerDir, terraform, crane, cpuProfile string
	repos, tags, runs, rssRefs                         int
	only                                               map[string]bool
}

func main() {
	var o options
	flag.StringVar(&o.providerDir, "provider-dir", "bin", "directory holding the built terraform-provider-imageinfo")
	flag.StringVar(&o.peerDir, "peer", "", "directory holding a built kreuzwerker terraform-provider-docker (v4.6.0), to compare with; none by default")
	flag.StringVar(&o.terraform, "terraform", "terraform", "Terraform or OpenTofu binary")
	flag.StringVar(&o.crane, "crane", "bin/crane", "crane binary, for the baseline")
	flag.IntVar(&o.repos, "repos", 50, "repositories")
	flag.IntVar(&o.tags, "tags", 4, "tags per repository")
	flag.IntVar(&o.runs, "runs", 3, "times each plan is run; the table shows the run with the median wall time")
	flag.IntVar(&o.rssRefs, "rss-refs", 2000, "after the comparison, one imageinfo_digests of this many references, for peak memory (0: none)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the provider during a warm imageinfo_manifest plan to FILE-<latency>.pprof, through -debug and TF_REATTACH_PROVIDERS")
	only := flag.String("only", "peer,manifest,digests,crane", "which runs to make: any of peer, manifest, digests, crane")
	latencies := flag.String("latency", "0s,20ms", "comma-separated round-trip latencies to run the comparison at: loopback's zero favours a process per request, real registries are tens of milliseconds away")
	keep := flag.Bool("keep", false, "after the runs, keep the last registry and Terraform working directory until interrupted, for profiling")
	flag.Parse()
	o.only = map[string]bool{}
	for _, k := range strings.Split(*only, ",") {
		o.only[strings.TrimSpace(k)] = true
	}
	failed := false
	var all []result
	for _, l := range strings.Split(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(l))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -latency:", err)
			os.Exit(2)
		}
		res, err := bench(o, d, *keep)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			failed = true
			continue
		}
		all = append(all, res)
	}
	if o.rssRefs > 0 {
		if err := rssRun(o); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			failed = true
		}
	}
	goals(all)
	if failed {
		os.Exit(1)
	}
}

// result is the comparison at one latency.
type result struct {
	latency       time.Duration
	images, repos int
	runs          []run
}

func (r result) find(kind, cache string) *run {
	for i := range r.runs {
		if r.runs[i].kind == kind && r.runs[i].cache == cache {
			return &r.runs[i]
		}
	}
	return nil
}

// bench is the comparison at one latency.
func bench(o options, latency time.Duration, keep bool) (result, error) {
	res := result{latency: latency, images: o.repos * o.tags, repos: o.repos}
	ctx := context.Background()
	reg, pulls, err := startRegistry(ctx, latency)
	if err != nil {
		return res, err
	}
	defer reg.Close()
	refs, err := push(ctx, reg, o.repos, o.tags)
	if err != nil {
		return res, err
	}
	w, err := newWorkspace(o, reg.Host, refs)
	if err != nil {
		return res, err
	}
	if !keep {
		defer os.RemoveAll(w.dir)
	}

	// The plans run in rounds, each configuration once per round, so that
	// a machine whose load changes during the run treats them alike; the
	// table shows each configuration's run with the median wall time.
	type plan struct {
		name, kind, cache string
		floor             int
		before            func() error
	}
	var plans []plan
	images := res.images
	clearCache := func() error { return os.RemoveAll(w.cacheDir) }
	if o.peerDir != "" && o.only["peer"] {
		plans = append(plans, plan{"kreuzwerker docker_registry_image x" + strconv.Itoa(images), "peer", "", 0, nil})
	}
	if o.only["manifest"] {
		plans = append(plans,
			plan{"imageinfo_manifest x" + strconv.Itoa(images) + ", cold cache", "manifest", "cold", 2*images + o.repos + 1, clearCache},
			plan{"imageinfo_manifest x" + strconv.Itoa(images) + ", warm cache", "manifest", "warm", images + o.repos + 1, nil},
			// After the warm plan, whose cache it reads.
			plan{"imageinfo_manifest x1, warm cache (the fixed cost)", "one", "warm", 3, nil})
	}
	if o.only["digests"] {
		plans = append(plans,
			plan{"imageinfo_digests of " + strconv.Itoa(images) + ", cold cache", "digests", "cold", images + o.repos + 1, clearCache},
			plan{"imageinfo_digests of " + strconv.Itoa(images) + ", warm cache", "digests", "warm", images + o.repos + 1, nil})
	}
	measured := make([][]run, len(plans))
	var failures []string
	for range o.runs {
		for i, p := range plans {
			if p.before != nil {
				if err := p.before(); err != nil {
					return res, err
				}
			}
			reg.Requests.Reset()
			reg.TokenRequests.Reset()
			pulls.Store(0)
			r, err := w.plan(p.kind)
			if err != nil {
				return res, fmt.Errorf("%s: %w", p.name, err)
			}
			r.name, r.kind, r.cache, r.floor = p.name, p.kind, p.cache, p.floor
			r.counts, r.pulls = count(reg), int(pulls.Load())
			if p.floor > 0 && r.counts.total() > p.floor {
				failures = append(failures, fmt.Sprintf("%s: %d requests, floor %d", p.name, r.counts.total(), p.floor))
			}
			measured[i] = append(measured[i], r)
		}
	}
	for _, all := range measured {
		sort.Slice(all, func(i, j int) bool { return all[i].wall < all[j].wall })
		res.runs = append(res.runs, all[len(all)/2])
	}
	if _, err := os.Stat(o.crane); err == nil && o.only["crane"] {
		reg.Requests.Reset()
		reg.TokenRequests.Reset()
		pulls.Store(0)
		start := time.Now()
		for _, ref := range refs {
			cmd := exec.Command(o.crane, "digest", ref) //nolint:gosec // The developer names the binary.
			cmd.Env = w.env
			if out, err := cmd.CombinedOutput(); err != nil {
				return res, fmt.Errorf("crane digest %s: %v: %s", ref, err, out)
			}
		}
		res.runs = append(res.runs, run{name: "crane digest x" + strconv.Itoa(images) + ", sequential", kind: "crane",
			counts: count(reg), pulls: int(pulls.Load()), wall: time.Since(start)})
	} else {
		fmt.Printf("no crane at %s: baseline skipped\n", o.crane)
	}
	if o.cpuProfile != "" {
		file := fmt.Sprintf("%s-%s.pprof", o.cpuProfile, latency)
		if err := w.profile(file); err != nil {
			return res, fmt.Errorf("profile: %w", err)
		}
		fmt.Printf("CPU profile of the provider during a warm imageinfo_manifest plan: %s\n", file)
	}
	report(res)
	if keep {
		fmt.Printf("\nregistry %s and working directories under %s kept; run terraform in %s with TF_CLI_CONFIG_FILE=%s. Interrupt to stop.\n",
			reg.URL, w.dir, filepath.Join(w.dir, "manifest"), filepath.Join(w.dir, "terraformrc"))
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
	}
	if len(failures) > 0 {
		return res, errors.New("over the request floor: " + strings.Join(failures, "; "))
	}
	return res, nil
}

// startRegistry starts a token-auth registry that answers manifest requests
// with ratelimit-* headers, as Docker Hub does, and counts the manifest GETs
// it answers so: the pulls Docker Hub would count.
func startRegistry(ctx context.Context, latency time.Duration) (*registrytest.Registry, *atomic.Int64, error) {
	var pulls atomic.Int64
	reg, err := registrytest.Start(ctx, registrytest.Options{
		Auth:    registrytest.AuthToken,
		Users:   map[string]string{benchUser: benchPassword},
		Latency: latency,
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					used := pulls.Load()
					if r.Method == http.MethodGet {
						used = pulls.Add(1)
					}
					w.Header().Set("RateLimit-Limit", fmt.Sprintf("%d;w=21600", pullLimit))
					w.Header().Set("RateLimit-Remaining", fmt.Sprintf("%d;w=21600", pullLimit-used))
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	return reg, &pulls, err
}

func push(ctx context.Context, reg *registrytest.Registry, repos, tags int) ([]string, error) {
	fmt.Printf("pushing %d images (%d repositories x %d tags) to %s ...\n", repos*tags, repos, tags, reg.URL)
	var refs []string
	for r := range repos {
		for t := range tags {
			ref := fmt.Sprintf("bench/app%02d:v%d", r, t)
			if _, err := reg.PushImage(ctx, ref, registrytest.WithLabels(map[string]string{"org.opencontainers.image.revision": fmt.Sprint(r, t)})); err != nil {
				return nil, fmt.Errorf("pushing %s: %w", ref, err)
			}
			refs = append(refs, reg.Host+"/"+ref)
		}
	}
	return refs, nil
}

// workspace holds one Terraform directory per configuration, the CLI
// configuration that points Terraform at wrapped providers, and the files
// the wrappers write their CPU times to.
type workspace struct {
	o        options
	dir      string
	cacheDir string
	env      []string
}

func newWorkspace(o options, host string, refs []string) (*workspace, error) {
	dir, err := os.MkdirTemp("", "imageinfo-bench-")
	if err != nil {
		return nil, err
	}
	w := &workspace{o: o, dir: dir, cacheDir: filepath.Join(dir, "cache")}
	providerDir, err := filepath.Abs(o.providerDir)
	if err != nil {
		return nil, err
	}
	overrides := map[string]string{tfcli.Namespace + "/" + tfcli.Type: filepath.Join(dir, "wrap-imageinfo")}
	if err := w.wrap(filepath.Join(providerDir, "terraform-provider-imageinfo"), "wrap-imageinfo"); err != nil {
		return nil, err
	}
	if o.peerDir != "" {
		peerDir, err := filepath.Abs(o.peerDir)
		if err != nil {
			return nil, err
		}
		overrides["kreuzwerker/docker"] = filepath.Join(dir, "wrap-docker")
		if err := w.wrap(filepath.Join(peerDir, "terraform-provider-docker"), "wrap-docker"); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "terraformrc"), []byte(tfcli.DevOverridesOf(overrides)), 0o600); err != nil {
		return nil, err
	}
	// crane reads the Docker config; the providers are given their blocks.
	auth := base64.StdEncoding.EncodeToString([]byte(benchUser + ":" + benchPassword))
	docker, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	if err := os.MkdirAll(filepath.Join(dir, "docker"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "docker", "config.json"), docker, 0o600); err != nil {
		return nil, err
	}
	w.env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "terraformrc"), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"DOCKER_CONFIG="+filepath.Join(dir, "docker"))
	for kind, tf := range configs(host, w.cacheDir, refs) {
		if err := os.MkdirAll(filepath.Join(dir, kind), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, kind, "main.tf"), []byte(tf), 0o600); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// wrap writes a script that runs binary under GNU time, appending its CPU
// time and peak memory to <dir>/<name>/cpu, where Terraform finds it through
// dev_overrides. Without GNU time the script runs the binary as it is.
func (w *workspace) wrap(binary, name string) error {
	if _, err := os.Stat(binary); err != nil {
		return err
	}
	d := filepath.Join(w.dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %q \"$@\"\n", binary)
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		script = fmt.Sprintf("#!/bin/sh\nexec /usr/bin/time -a -f '%%U %%S %%M' -o %q %q \"$@\"\n", filepath.Join(d, "cpu"), binary)
	}
	return os.WriteFile(filepath.Join(d, filepath.Base(binary)), []byte(script), 0o700) //nolint:gosec // An executable script, in a private directory.
}

// configs are the Terraform configurations, by kind; each outputs the
// digests only.
func configs(host, cacheDir string, refs []string) map[string]string {
	list, _ := json.Marshal(refs)
	imageinfo := fmt.Sprintf(`terraform {
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
`, cacheDir, host, benchUser, benchPassword, list)
	return map[string]string{
		"manifest": imageinfo + `
data "imageinfo_manifest" "image" {
  for_each  = toset(local.refs)
  reference = each.value
}

output "digests" {
  value = { for k, v in data.imageinfo_manifest.image : k => v.digest }
}
`,
		"one": imageinfo + `
data "imageinfo_manifest" "image" {
  reference = local.refs[0]
}

output "digests" {
  value = { (local.refs[0]) = data.imageinfo_manifest.image.digest }
}
`,
		"digests": imageinfo + `
data "imageinfo_digests" "all" {
  references = { for r in local.refs : r => r }
}

output "digests" {
  value = { for k, v in data.imageinfo_digests.all.images : k => v.digest }
}
`,
		"peer": fmt.Sprintf(`terraform {
  required_providers {
    docker = { source = "kreuzwerker/docker" }
  }
}

provider "docker" {
  registry_auth {
    address  = "http://%s"
    username = %q
    password = %q
  }
}

locals {
  refs = %s
}

data "docker_registry_image" "image" {
  for_each = toset(local.refs)
  name     = each.value
}

output "digests" {
  value = { for k, v in data.docker_registry_image.image : k => v.sha256_digest }
}
`, host, benchUser, benchPassword, list),
	}
}

var (
	maxRSSLine = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
	userLine   = regexp.MustCompile(`User time \(seconds\): ([0-9.]+)`)
	sysLine    = regexp.MustCompile(`System time \(seconds\): ([0-9.]+)`)
)

// plan runs terraform plan in the directory of kind under GNU time, and
// reads what the provider wrapper recorded.
func (w *workspace) plan(kind string) (run, error) {
	var r run
	wrapper := "wrap-imageinfo"
	if kind == "peer" {
		wrapper = "wrap-docker"
	}
	cpuFile := filepath.Join(w.dir, wrapper, "cpu")
	_ = os.Remove(cpuFile)
	dir := filepath.Join(w.dir, kind)
	timeFile := filepath.Join(dir, ".time")
	argv := []string{w.o.terraform, "plan", "-input=false", "-no-color", "-lock=false"}
	gnuTime := false
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		argv = append([]string{"/usr/bin/time", "-v", "-o", timeFile}, argv...)
		gnuTime = true
	}
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:gosec // The developer names the binaries with flags.
	cmd.Dir, cmd.Env = dir, w.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r.wall = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("%v:\n%s", err, tail(out, 40))
	}
	if gnuTime {
		if b, err := os.ReadFile(timeFile); err == nil {
			r.tfRSS = atoiMatch(maxRSSLine, b)
			r.tfCPU = secondsMatch(userLine, b) + secondsMatch(sysLine, b)
		}
		if b, err := os.ReadFile(cpuFile); err == nil {
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				f := strings.Fields(line)
				if len(f) != 3 {
					continue
				}
				u, _ := strconv.ParseFloat(f[0], 64)
				s, _ := strconv.ParseFloat(f[1], 64)
				kb, _ := strconv.Atoi(f[2])
				r.provCPU += time.Duration((u + s) * float64(time.Second))
				r.provRSS = max(r.provRSS, kb)
				r.procs++
			}
		}
	}
	return r, nil
}

// profile runs a warm imageinfo_manifest plan against the provider served
// by debugprovider (as -debug serves it), which writes a CPU profile.
func (w *workspace) profile(file string) error {
	bin := filepath.Join(w.dir, "debugprovider")
	build := exec.Command("go", "build", "-o", bin, "./internal/bench/debugprovider")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building debugprovider: %v: %s", err, out)
	}
	// Warm the cache with a plan of the same configuration.
	if _, err := w.plan("manifest"); err != nil {
		return err
	}
	envFile := filepath.Join(w.dir, "reattach.env")
	_ = os.Remove(envFile)
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	server := exec.Command(bin, "-cpuprofile", abs, "-env-file", envFile) //nolint:gosec // Built above.
	// The garbage collector as the provider's main tunes it; debugprovider
	// turns the loggers off as the provider does under a plan.
	server.Env = append(os.Environ(), "GOGC=400", "GOMEMLIMIT=64MiB")
	if err := server.Start(); err != nil {
		return err
	}
	defer func() { _ = server.Process.Kill() }()
	var reattach string
	for range 100 {
		if b, err := os.ReadFile(envFile); err == nil && len(b) > 0 {
			reattach = strings.TrimSpace(string(b))
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	name, value, ok := strings.Cut(reattach, "=")
	if !ok {
		return errors.New("debugprovider wrote no reattach configuration")
	}
	cmd := exec.Command(w.o.terraform, "plan", "-input=false", "-no-color", "-lock=false") //nolint:gosec // The developer names the binary.
	cmd.Dir = filepath.Join(w.dir, "manifest")
	cmd.Env = append(append([]string(nil), w.env...), name+"="+strings.Trim(value, "'"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v:\n%s", err, tail(out, 40))
	}
	if err := server.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	return server.Wait()
}

// rssRun is one imageinfo_digests of n references, cold then warm, for the
// peak memory of Terraform with the provider.
func rssRun(o options) error {
	ctx := context.Background()
	reg, _, err := startRegistry(ctx, 0)
	if err != nil {
		return err
	}
	defer reg.Close()
	repos := (o.rssRefs + 9) / 10
	refs, err := push(ctx, reg, repos, 10)
	if err != nil {
		return err
	}
	refs = refs[:o.rssRefs]
	w, err := newWorkspace(options{providerDir: o.providerDir, terraform: o.terraform}, reg.Host, refs)
	if err != nil {
		return err
	}
	defer os.RemoveAll(w.dir)
	fmt.Printf("\none imageinfo_digests of %d references (%d repositories), token auth, loopback\n\n", len(refs), repos)
	fmt.Println("| run | requests | GET manifest | wall | provider CPU | peak RSS terraform | peak RSS provider |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, cache := range []string{"cold", "warm"} {
		reg.Requests.Reset()
		reg.TokenRequests.Reset()
		r, err := w.plan("digests")
		if err != nil {
			return err
		}
		c := count(reg)
		fmt.Printf("| %s cache | %d | %d | %.2f s | %.2f s | %d MiB | %d MiB |\n", cache, c.total(), c.GetManifest, r.wall.Seconds(),
			r.provCPU.Seconds(), r.tfRSS/1024, r.provRSS/1024)
		r.name = fmt.Sprintf("imageinfo_digests of %d references, %s cache", len(refs), cache)
		rssResult = append(rssResult, r)
	}
	return nil
}

var rssResult []run

func atoiMatch(re *regexp.Regexp, b []byte) int {
	m := re.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func secondsMatch(re *regexp.Regexp, b []byte) time.Duration {
	m := re.FindSubmatch(b)
	if m == nil {
		return 0
	}
	f, _ := strconv.ParseFloat(string(m[1]), 64)
	return time.Duration(f * float64(time.Second))
}

func tail(b []byte, lines int) string {
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
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

func report(res result) {
	fmt.Printf("\n%d images in %d repositories on 1 registry, token auth, %s added to every request\n\n", res.images, res.repos, res.latency)
	fmt.Println("| run | ping | token | HEAD | GET manifest | GET blob | total | counted pulls | wall | provider CPU | per image | Terraform CPU | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range res.runs {
		c := r.counts
		cpu, per, tf, rss := "-", "-", "-", "-"
		if r.kind != "crane" && r.tfRSS > 0 {
			cpu = fmt.Sprintf("%.2f s (%d)", r.provCPU.Seconds(), r.procs)
			if r.kind != "one" {
				per = fmt.Sprintf("%.2f ms", r.provCPU.Seconds()*1000/float64(res.images))
			}
			tf = fmt.Sprintf("%.2f s", (r.tfCPU - r.provCPU).Seconds())
			rss = fmt.Sprintf("%d MiB", r.tfRSS/1024)
		}
		fmt.Printf("| %s | %d | %d | %d | %d | %d | %d | %d | %.2f s | %s | %s | %s | %s |\n", r.name, c.Ping, c.Token, c.Head,
			c.GetManifest, c.GetBlob, c.total(), r.pulls, r.wall.Seconds(), cpu, per, tf, rss)
	}
	fmt.Println("\n(provider CPU: user + system time of the provider processes, how many in parentheses; Terraform CPU: Terraform's own,\n" +
		"without the provider's; peak RSS: GNU time's for terraform and its plugins)")
}

// goals prints the performance goals against the runs: met or not, with the
// numbers. Timing goals are reported, never enforced: they are ratios of one
// run on a machine that may be busy.
func goals(all []result) {
	fmt.Println("\nGoals:")
	say := func(ok bool, format string, args ...any) {
		mark := "met    "
		if !ok {
			mark = "NOT met"
		}
		fmt.Printf("  %s  %s\n", mark, fmt.Sprintf(format, args...))
	}
	for _, res := range all {
		l := res.latency
		warm := res.find("manifest", "warm")
		peer := res.find("peer", "")
		dCold, dWarm := res.find("digests", "cold"), res.find("digests", "warm")
		if warm == nil {
			continue
		}
		per := warm.provCPU.Seconds() * 1000 / float64(res.images)
		say(per <= 2, "[%s] provider CPU per warm imageinfo_manifest read: %.2f ms (<= 2 ms)", l, per)
		if one := res.find("one", "warm"); one != nil {
			fmt.Printf("  (info)   [%s] of which %.2f s (%d processes) is what a plan of one warm read costs: each further read costs %.2f ms\n",
				l, one.provCPU.Seconds(), one.procs, (warm.provCPU-one.provCPU).Seconds()*1000/float64(res.images-1))
		}
		if peer != nil {
			say(warm.wall <= peer.wall, "[%s] %d imageinfo_manifest, warm: %.2f s; kreuzwerker: %.2f s (<=)", l, res.images, warm.wall.Seconds(), peer.wall.Seconds())
		}
		say(warm.pulls == 0, "[%s] counted pulls, warm imageinfo_manifest: %d (0)", l, warm.pulls)
		if dCold == nil || dWarm == nil {
			continue
		}
		if peer != nil {
			if l > 0 {
				ratio := dWarm.wall.Seconds() / peer.wall.Seconds()
				say(ratio <= 0.3, "[%s] imageinfo_digests of %d, warm: %.2f s = %.2fx kreuzwerker's %.2f s (<= 0.3x)", l, res.images,
					dWarm.wall.Seconds(), ratio, peer.wall.Seconds())
				ratio = dCold.wall.Seconds() / peer.wall.Seconds()
				say(ratio <= 0.3, "[%s] imageinfo_digests of %d, cold: %.2f s = %.2fx kreuzwerker's (<= 0.3x)", l, res.images, dCold.wall.Seconds(), ratio)
			}
		}
		for _, d := range []*run{dCold, dWarm} {
			floor := res.images + res.repos + 1
			say(d.counts.total() <= floor && d.counts.GetManifest == 0, "[%s] imageinfo_digests, %s cache: %d requests, %d manifest GETs (<= %d, none)",
				l, d.cache, d.counts.total(), d.counts.GetManifest, floor)
		}
		say(dCold.pulls == 0 && dWarm.pulls == 0, "[%s] counted pulls, imageinfo_digests: %d cold, %d warm (0)", l, dCold.pulls, dWarm.pulls)
	}
	for _, r := range rssResult {
		mib := (r.tfRSS + r.provRSS) / 1024
		say(r.tfRSS/1024 <= 120, "%s: peak RSS of terraform with the provider %d MiB (<= 120 MiB; GNU time: the largest of the process tree); "+
			"the provider alone %d MiB, the two together at most %d MiB", r.name, r.tfRSS/1024, r.provRSS/1024, mib)
	}
}
