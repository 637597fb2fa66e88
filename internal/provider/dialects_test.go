package provider

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/dialect"
)

// The dialect tests (issue 11) read through Terraform from a front that
// answers the way one real registry does (internal/registrytest/dialect),
// one top-level test per registry over one table of situations. Each
// situation asserts the values read or the diagnostic, and what each server
// (registry, token service, CDN) received. Situations a registry does not
// have are listed with the reason.

const (
	dialectUser     = "puller"
	dialectPassword = "dialect-pw-3a9c51"
	// dialectTags is how many tags pub/many holds: more than two pages of
	// the 1000 the provider asks for, so every registry that pages does.
	dialectTags = 2001
)

// A situation is one row of the table: a read, through which name of the
// registry, and the repository that names its diagnostic.
type situation struct {
	name string
	// ref is repository:tag, read through via: "" is the registry's own
	// address, which has good credentials; "wrong" and "anonymous" are
	// other addresses of the same registry (see forward), with wrong
	// credentials and with none. Terraform serves every provider alias
	// from the one in-process provider instance in tests, so aliases
	// cannot hold different credentials for one address.
	ref, via string
}

func (s situation) repository() string { r, _, _ := strings.Cut(s.ref, ":"); return r }

// The situations that fail, all in one step, each naming its own
// repository; and the rate limit, alone in its step so that the one
// limited request is the read's.
var (
	sitMissingRepo = situation{"missing repository", "no/such:1", ""}
	sitMissingTag  = situation{"missing tag", "team/app:nope", ""}
	sitWrongCreds  = situation{"wrong credentials", "team/wrong:1", "wrong"}
	sitNoCreds     = situation{"no credentials on a private repository", "team/nocreds:1", "anonymous"}
	sitRateLimit   = situation{"rate limit", "pub/limited:1", ""}
	failing        = []situation{sitMissingRepo, sitMissingTag, sitWrongCreds, sitNoCreds}
)

// The situations that read, each asserting its own values; all but the
// warm plan are in one step.
const (
	sitPublic   = "public read"
	sitPrivate  = "private read with credentials"
	sitRedirect = "redirected config blob"
	sitIndex    = "OCI index (Accept lists every manifest type)"
	sitPaging   = "tag paging"
	sitWarm     = "warm second plan, HEAD misbehaving"
	sitExpired  = "expired password refreshed once"
)

// answered is what a failing situation's servers answered last: the token
// service's status for the repository's scope and the registry's for the
// repository's paths; 0 is "never asked".
type answered struct{ token, registry int }

// front is one registry's column of the table.
type front struct {
	dialect func() *dialect.Dialect
	// ecr: credentials are ECR passwords from the awsapi stand-in, through
	// an ecr block; wrong ones are AWS access keys given as username and
	// password (the usual mistake, issue 11).
	ecr bool
	// public repositories (Options.Public); default pub/*.
	public []string
	// pages the 2001-tag list takes.
	pages int
	// diag are the patterns a failing situation's diagnostic must match.
	diag map[string][]string
	// answers are what the servers answered a failing situation.
	answers map[string]answered
	// na lists situations this registry does not have, and why.
	na map[string]string
}

// Patterns shared by several registries.
const (
	notFound       = `Image Not Found`
	authFailed     = `Registry Authentication Failed`
	accessDenied   = `Registry Access Denied`
	rateLimited    = `Registry Rate Limit Reached`
	blockCreds     = `the username/password from the provider's registry block for "[^"]+"`
	tokenRefused   = `The registry's token service refused ` + blockCreds
	tokenIssued    = `The registry's token service issued a token for ` + blockCreds + `, but the registry refused that token for this repository: the repository may not exist`
	anonymousAsked = `No credentials were configured for "[^"]+", and the registry asks for them: the repository is private, or it does not exist`
	askedFor1s     = `\(it asked for 1s\)`
	ecrAdvice      = `is an Amazon ECR registry: it accepts only a password from the ECR API .*ecr \{`
	awsKeysAdvice  = `AWS access keys given as username and password are always refused`
)

// diags are the diagnostics of a registry: what most registries answer,
// as distribution does, with the registry's own answers over them.
func diags(own map[string][]string) map[string][]string {
	d := map[string][]string{
		sitMissingTag.name: {notFound, `MANIFEST_UNKNOWN: manifest unknown`},
		sitNoCreds.name:    {authFailed, anonymousAsked},
		sitRateLimit.name:  {rateLimited, askedFor1s},
	}
	maps.Copy(d, own)
	return d
}

// answers are what a registry's servers answer: by default a token service
// that issues a token for any repository (without access where there is
// none) and refuses wrong credentials with 401, and a registry that refuses
// such a token with 401, as distribution does; the registry's own answers
// over them.
func answers(own map[string]answered) map[string]answered {
	a := map[string]answered{
		sitMissingRepo.name: {token: 200, registry: 401}, sitMissingTag.name: {token: 200, registry: 404},
		sitWrongCreds.name: {token: 401}, sitNoCreds.name: {token: 200, registry: 401},
	}
	maps.Copy(a, own)
	return a
}

// quay is Quay, as it answers now or before 2022: the same but for paging.
func quay(d func() *dialect.Dialect, pages int) front {
	return front{
		dialect: d, pages: pages,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {authFailed, `access to the requested resource is not authorized`, tokenIssued},
			sitWrongCreds.name:  {authFailed, `Specified credentials are invalid`, tokenRefused},
		}),
		answers: answers(nil),
	}
}

var fronts = map[string]front{
	"DockerHub": {
		dialect: dialect.DockerHub, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {authFailed, `\(HTTP 401 UNAUTHORIZED\)`, tokenIssued},
			sitWrongCreds.name:  {authFailed, `incorrect username or password`, tokenRefused},
			sitNoCreds.name: {authFailed, `Docker Hub answers an anonymous read this way both for a private repository and for one that does not exist`,
				`library/nginx`, `personal access token`, `docker login`},
			sitRateLimit.name: {rateLimited, `You have reached your pull rate limit`, `It allows 100 pulls per 6h, and says 0 are left`},
		}),
		answers: answers(nil),
	},
	"GHCR": {
		dialect: dialect.GHCR, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {notFound, `NAME_UNKNOWN: repository name not known to registry`},
			sitWrongCreds.name: {accessDenied, `\(HTTP 403 DENIED\)`, `Registries answer so both to credentials that are wrong or have expired`,
				`either may be the case`, `read:packages`},
			sitRateLimit.name: {rateLimited, `retry-after: 880.092µs, allowed: 44000/minute`},
		}),
		answers: answers(map[string]answered{sitMissingRepo.name: {token: 200, registry: 404}, sitWrongCreds.name: {token: 403}, sitNoCreds.name: {token: 401}}),
	},
	"ECR": {
		dialect: dialect.ECR, ecr: true, pages: 12,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {notFound, `NAME_UNKNOWN: The repository with name 'no/such' does not exist in the registry with id '123456789012'`},
			sitMissingTag.name:  {notFound, `MANIFEST_UNKNOWN: Requested image not found`},
			sitWrongCreds.name:  {authFailed, `\(HTTP 401 DENIED\)`, ecrAdvice, awsKeysAdvice},
			sitNoCreds.name:     {authFailed, `\(HTTP 401 DENIED\)`, ecrAdvice},
		}),
		// Basic: no token service.
		answers: map[string]answered{
			sitMissingRepo.name: {registry: 404}, sitMissingTag.name: {registry: 404},
			sitWrongCreds.name: {registry: 401}, sitNoCreds.name: {registry: 401},
		},
		na: map[string]string{sitPublic: "a private ECR registry has no anonymous reads (that is ECR Public)"},
	},
	"ECRPublic": {
		dialect: dialect.ECRPublic, ecr: true, public: []string{"*"}, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {notFound, `NAME_UNKNOWN: The repository with name 'such' does not exist in the registry with id 'no'`},
			sitMissingTag.name:  {notFound, `MANIFEST_UNKNOWN: Requested image not found`},
			sitWrongCreds.name:  {authFailed, `\(HTTP 401 DENIED\)`, ecrAdvice, awsKeysAdvice, `ECR Public`},
		}),
		answers: answers(map[string]answered{sitMissingRepo.name: {token: 200, registry: 404}}),
		na:      map[string]string{sitNoCreds.name: "every ECR Public repository is public"},
	},
	"Google": {
		dialect: func() *dialect.Dialect { return dialect.Google("us") }, pages: 1,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {accessDenied, `\(HTTP 403 DENIED\)`,
				`The registry says ` + blockCreds + ` lack the permission "artifactregistry.repositories.downloadArtifacts" on "projects/no/locations/us/repositories/such", or that the repository may not exist`,
				`Artifact Registry Reader`},
			sitWrongCreds.name: {authFailed, `UNAUTHORIZED: authentication failed`, tokenRefused},
			sitNoCreds.name: {accessDenied, `No credentials were configured for "[^"]+", and the registry refuses anonymous reads of this repository: it wants the permission "artifactregistry.repositories.downloadArtifacts" on "projects/team/locations/us/repositories/nocreds"`,
				`The repository may also not exist`},
		}),
		answers: answers(map[string]answered{sitMissingRepo.name: {token: 403}, sitNoCreds.name: {token: 403}}),
	},
	"ACR": {
		dialect: dialect.ACR, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {notFound, `NAME_UNKNOWN: repository name not known to registry`},
			sitMissingTag.name:  {notFound, `manifest tagged by "nope" is not found`},
			sitWrongCreds.name:  {authFailed, tokenRefused},
		}),
		answers: answers(map[string]answered{sitMissingRepo.name: {token: 200, registry: 404}}),
	},
	"Quay":       quay(dialect.Quay, 21),
	"QuayLegacy": quay(dialect.QuayLegacy, 41),
	"Harbor": {
		dialect: dialect.Harbor, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {notFound, `\(HTTP 404 NOT_FOUND\)`, `repository no/such not found`},
			sitMissingTag.name:  {notFound, `artifact team/app:nope not found`},
			sitWrongCreds.name:  {authFailed, `unexpected status code 401 Unauthorized`, tokenRefused},
			sitNoCreds.name:     {authFailed, `unauthorized to access repository: team/nocreds, action: pull`, anonymousAsked},
		}),
		answers: answers(map[string]answered{sitMissingRepo.name: {token: 200, registry: 404}}),
	},
	"GitLab": {
		dialect: dialect.GitLab, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {authFailed, tokenIssued},
			sitWrongCreds.name:  {authFailed, `HTTP Basic: Access denied`, tokenRefused},
		}),
		answers: answers(nil),
	},
	"Artifactory": {
		dialect: dialect.Artifactory, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {authFailed, tokenIssued},
			sitMissingTag.name:  {notFound, `The named manifest is not known to the registry`},
			sitWrongCreds.name:  {authFailed, tokenRefused},
		}),
		answers: answers(nil),
	},
	"Nexus": {
		dialect: dialect.Nexus, pages: 3,
		diag: diags(map[string][]string{
			sitMissingRepo.name: {accessDenied, `The registry accepted ` + blockCreds + ` but refuses them this repository`,
				`Some registries answer a repository that does not exist this way too`},
			sitWrongCreds.name: {authFailed, `The registry refused ` + blockCreds},
		}),
		// Basic: no token service.
		answers: map[string]answered{
			sitMissingRepo.name: {registry: 403}, sitMissingTag.name: {registry: 404},
			sitWrongCreds.name: {registry: 401}, sitNoCreds.name: {registry: 401},
		},
	},
}

func TestAccDialect_DockerHub(t *testing.T)   { testDialect(t, "DockerHub") }
func TestAccDialect_GHCR(t *testing.T)        { testDialect(t, "GHCR") }
func TestAccDialect_ECR(t *testing.T)         { testDialect(t, "ECR") }
func TestAccDialect_ECRPublic(t *testing.T)   { testDialect(t, "ECRPublic") }
func TestAccDialect_Google(t *testing.T)      { testDialect(t, "Google") }
func TestAccDialect_ACR(t *testing.T)         { testDialect(t, "ACR") }
func TestAccDialect_Quay(t *testing.T)        { testDialect(t, "Quay") }
func TestAccDialect_QuayLegacy(t *testing.T)  { testDialect(t, "QuayLegacy") }
func TestAccDialect_Harbor(t *testing.T)      { testDialect(t, "Harbor") }
func TestAccDialect_GitLab(t *testing.T)      { testDialect(t, "GitLab") }
func TestAccDialect_Artifactory(t *testing.T) { testDialect(t, "Artifactory") }
func TestAccDialect_Nexus(t *testing.T)       { testDialect(t, "Nexus") }

// dialectEnv is a front with its fixtures and the provider configurations
// that read from it.
type dialectEnv struct {
	t     *testing.T
	fc    front
	d     *dialect.Dialect
	f     *dialect.Front
	api   *awsapi.ECR
	cache string
	// hosts are the registry's addresses by situation.via.
	hosts map[string]string
	// armExpiry makes the next read of team/expire find its ECR password
	// expired.
	armExpiry atomic.Bool

	// What was pushed: pub/app:1, team/app:1, team/expire:1, the index
	// pub/multi:1 and its linux/amd64 image.
	pub, priv, expire, index, amd64 pushed
}

func newDialectEnv(t *testing.T, name string) *dialectEnv {
	t.Helper()
	fc, ok := fronts[name]
	if !ok {
		t.Fatalf("no front %q", name)
	}
	e := &dialectEnv{t: t, fc: fc, d: fc.dialect(), cache: t.TempDir()}
	opts := dialect.Options{Public: fc.public}
	if opts.Public == nil {
		opts.Public = []string{"pub/*"}
	}
	if fc.ecr {
		isolateAWS(t)
		e.api = ecrAPI(t)
		opts.Check = dialect.ECRPasswords(e.api)
		opts.Registry.Wrap = func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v2/team/expire/manifests/") && e.armExpiry.CompareAndSwap(true, false) {
					e.api.ExpireAll()
				}
				next.ServeHTTP(w, r)
			})
		}
	} else {
		opts.Users = map[string]string{dialectUser: dialectPassword}
	}
	e.f = dialect.New(t, e.d, opts)
	e.hosts = map[string]string{"": e.f.Host, "wrong": forward(t, e.f.Host), "anonymous": forward(t, e.f.Host)}
	ctx := context.Background()
	e.pub, _ = push(t, e.f.Registry, "pub/app:1")
	e.priv, _ = push(t, e.f.Registry, "team/app:1")
	e.expire, _ = push(t, e.f.Registry, "team/expire:1")
	push(t, e.f.Registry, "team/wrong:1", "team/nocreds:1", "pub/limited:1")
	idx, err := e.f.Registry.PushIndex(ctx, "pub/multi:1", []v1.Platform{{OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	e.index = manifestOf(t, idx)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Architecture == "amd64" {
			e.amd64 = pushed{digest: m.Digest.String(), mediaType: string(m.MediaType)}
		}
	}
	tags := make([]string, dialectTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%04d", i)
	}
	if _, err := e.f.PushTags(ctx, "pub/many", tags...); err != nil {
		t.Fatal(err)
	}
	// Blobs are redirected as the registry does in real life, and to the
	// CDN where it serves them itself unless its storage is S3 or alike.
	if e.d.Blobs.Redirect == dialect.RedirectNone {
		e.f.RedirectBlobs(dialect.RedirectCDN)
	}
	return e
}

// providers renders the provider configuration every situation reads
// through: good credentials for the registry's own address, wrong ones for
// its "wrong" address, none for its "anonymous" one.
func (e *dialectEnv) providers(settings string) string {
	good := registryBlock("address", q(e.hosts[""]), "username", q(dialectUser), "password", q(dialectPassword))
	wrong := registryBlock("address", q(e.hosts["wrong"]), "username", q(dialectUser), "password", q("not-"+dialectPassword))
	if e.fc.ecr {
		good = ecrBlock(e.f.Registry, "region", q(ecrRegion), "registry_id", q(ecrAccount),
			"access_key", q(ecrKeyID), "secret_key", q(ecrSecret), "endpoint", q(e.api.URL))
		wrong = registryBlock("address", q(e.hosts["wrong"]), "username", q(ecrKeyID), "password", q(ecrSecret))
	}
	return providerConfig(settings, good, wrong)
}

// manifest renders an imageinfo_manifest data source.
func (e *dialectEnv) manifest(name string, s situation, platform string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data \"imageinfo_manifest\" %q {\n", name)
	fmt.Fprintf(&b, "  reference = %q\n", e.hosts[s.via]+"/"+s.ref)
	if platform != "" {
		fmt.Fprintf(&b, "  platform = %q\n", platform)
	}
	b.WriteString("}\n")
	return b.String()
}

func (e *dialectEnv) has(situation string) bool {
	_, na := e.fc.na[situation]
	return !na
}

func testDialect(t *testing.T, name string) {
	e := newDialectEnv(t, name)
	for s, why := range e.fc.na {
		t.Logf("%s: not applicable: %s", s, why)
	}
	f := &failures{secrets: &registrytest.Secrets{}}
	for _, s := range []string{dialectPassword, "not-" + dialectPassword, ecrSecret} {
		f.secrets.Add(s)
	}
	// What the servers received in a step is checked before the next one
	// starts, and forgotten.
	var pending func()
	next := func(check func()) {
		if pending != nil {
			pending()
		}
		e.resetLogs()
		pending = check
	}

	// Step 1: everything that fails, one diagnostic each.
	cached := "  cache_dir = " + q(e.cache) + "\n"
	var failConfig strings.Builder
	failConfig.WriteString(e.providers(noCache))
	var want []diagWant
	for i, s := range failing {
		if !e.has(s.name) {
			continue
		}
		failConfig.WriteString(e.manifest(fmt.Sprintf("fail%d", i), s, ""))
		want = append(want, expectDiag(s.repository(), e.fc.diag[s.name]...))
	}
	fail := f.step(failConfig.String(), want...)
	fail.PreConfig = chain(func() { next(e.checkFailures) }, fail.PreConfig)
	steps := []resource.TestStep{fail}

	// Step 2: the rate limit, with the registry's own answer and numbers.
	limit := f.step(e.providers(noCache+"  max_retries = 0\n")+e.manifest("limited", sitRateLimit, ""), expectDiag(sitRateLimit.repository(), e.fc.diag[sitRateLimit.name]...))
	limit.PreConfig = chain(func() {
		next(e.checkRateLimit)
		if e.d.Name == "Docker Hub" {
			e.f.SetQuota(100, 0) // a pull GET refused with the quota headers; HEAD free
		} else {
			e.f.RateLimit(1)
		}
	}, limit.PreConfig)
	steps = append(steps, limit)

	// ECR only: a password that expires before it says is refused with 403
	// and refreshed once.
	if e.d.Name == "ECR" {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				next(e.checkExpired)
				e.armExpiry.Store(true)
			},
			Config: e.providers(noCache) + e.manifest("expire", situation{sitExpired, "team/expire:1", ""}, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.imageinfo_manifest.expire", tfjsonpath.New("digest"), knownvalue.StringExact(e.expire.digest)),
			},
		})
	}

	// Step 3: every read that works, the cache cold at first.
	reads := e.providers(cached) +
		e.manifest("private", situation{sitPrivate, "team/app:1", ""}, "") +
		e.manifest("index", situation{sitIndex, "pub/multi:1", e.readerOf()}, "") +
		e.manifest("warm", situation{sitWarm, "pub/multi:1", ""}, "linux/amd64") +
		fmt.Sprintf("data \"imageinfo_tags\" \"paged\" {\n  repository = %q\n}\n", e.hosts[e.readerOf()]+"/pub/many")
	checks := []statecheck.StateCheck{
		expectAttr("private", "digest", knownvalue.StringExact(e.priv.digest)),
		expectAttr("private", "os", knownvalue.StringExact("linux")),
		expectAttr("private", "architecture", knownvalue.StringExact("amd64")),
		expectAttr("index", "digest", knownvalue.StringExact(e.index.digest)),
		expectAttr("index", "media_type", knownvalue.StringExact("application/vnd.oci.image.index.v1+json")),
		expectAttr("index", "manifests", knownvalue.ListSizeExact(2)),
		statecheck.ExpectKnownValue("data.imageinfo_tags.paged", tfjsonpath.New("tags"), knownvalue.ListSizeExact(dialectTags)),
		statecheck.ExpectKnownValue("data.imageinfo_tags.paged", tfjsonpath.New("latest"), knownvalue.StringExact(fmt.Sprintf("t%04d", dialectTags-1))),
	}
	if e.has(sitPublic) {
		reads += e.manifest("public", situation{sitPublic, "pub/app:1", "anonymous"}, "")
		checks = append(checks, expectAttr("public", "digest", knownvalue.StringExact(e.pub.digest)),
			expectAttr("public", "media_type", knownvalue.StringExact(e.pub.mediaType)))
	}
	warmChecks := []statecheck.StateCheck{
		expectAttr("warm", "digest", knownvalue.StringExact(e.index.digest)),
		expectAttr("warm", "media_type", knownvalue.StringExact("application/vnd.oci.image.index.v1+json")),
		expectAttr("warm", "image_digest", knownvalue.StringExact(e.amd64.digest)),
	}
	steps = append(steps, resource.TestStep{
		PreConfig: func() {
			next(e.checkReads)
			if e.d.Name == "Docker Hub" {
				e.f.SetQuota(5000, 5000)
			}
		},
		Config:            reads,
		ConfigStateChecks: append(checks, warmChecks...),
	})

	// Step 4: the same cache, the registry's HEAD misbehaving as it does in
	// real life (or answering as it should, where it is not known to
	// misbehave): the digests stay those of what the tag points to.
	steps = append(steps, resource.TestStep{
		PreConfig: func() {
			next(nil)
			e.f.MisbehaveHEAD()
		},
		Config:            e.providers(cached) + e.manifest("warm", situation{sitWarm, "pub/multi:1", ""}, "linux/amd64"),
		ConfigStateChecks: warmChecks,
	})

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		ErrorCheck:               f.check,
		Steps:                    steps,
	})
	// The warm plan and the destroy that follows it.
	e.checkWarm()
}

// readerOf is the address public repositories are read through: the
// anonymous one, unless the registry has no anonymous reads.
func (e *dialectEnv) readerOf() string {
	if e.has(sitPublic) {
		return "anonymous"
	}
	return ""
}

// forward listens on another port of 127.0.0.1 and forwards every connection
// to target as it is: the same registry under another address, as the
// provider (which keys credentials by address) sees it.
func forward(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, c)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			track(in)
			track(out)
			wg.Add(2)
			for _, pair := range [][2]net.Conn{{in, out}, {out, in}} {
				go func() {
					defer wg.Done()
					_, _ = io.Copy(pair[0], pair[1])
					// Either side closing ends both directions.
					pair[0].Close()
					pair[1].Close()
				}()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func chain(fns ...func()) func() {
	return func() {
		for _, fn := range fns {
			if fn != nil {
				fn()
			}
		}
	}
}

func expectAttr(name, attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.imageinfo_manifest."+name, tfjsonpath.New(attr), check)
}

// tokenAsked reports whether a token request asked for repo's pull scope.
func tokenAsked(r registrytest.Request, repo string) bool {
	scopes := slices.Clone(r.Scopes)
	if q, err := url.ParseQuery(r.RawQuery); err == nil {
		for _, s := range q["scope"] {
			scopes = append(scopes, strings.Fields(s)...)
		}
	}
	return slices.Contains(scopes, "repository:"+repo+":pull")
}

// answersFor lists what the token service answered repo's scope and what the
// registry answered repo's paths, in order.
func (e *dialectEnv) answersFor(repo string) (token, reg []int) {
	if !e.d.Basic {
		for _, r := range e.f.TokenRequests().All() {
			if tokenAsked(r, repo) {
				token = append(token, r.Status)
			}
		}
	}
	for _, r := range e.f.Requests().All() {
		if strings.HasPrefix(r.Path, "/v2/"+repo+"/") {
			reg = append(reg, r.Status)
		}
	}
	return token, reg
}

func last(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// checkFailures: what the servers answered each failing situation, and that
// no credential went where it was not asked for.
func (e *dialectEnv) checkFailures() {
	t := e.t
	for _, s := range failing {
		if !e.has(s.name) {
			continue
		}
		token, reg := e.answersFor(s.repository())
		want := e.fc.answers[s.name]
		if last(token) != want.token || last(reg) != want.registry {
			t.Errorf("%s: the token service answered %v and the registry %v; want last %d and %d", s.name, token, reg, want.token, want.registry)
		}
		if slices.Contains(reg, http.StatusOK) {
			t.Errorf("%s: the registry answered 200 for %s", s.name, s.repository())
		}
	}
	// The anonymous reads carried no credentials anywhere.
	for _, log := range []*registrytest.RequestLog{e.f.Requests(), e.f.TokenRequests()} {
		for _, r := range log.All() {
			if r.AuthScheme == "Basic" && (tokenAsked(r, sitNoCreds.repository()) || strings.HasPrefix(r.Path, "/v2/"+sitNoCreds.repository()+"/")) {
				t.Errorf("%s: credentials were sent: %+v", sitNoCreds.name, r)
			}
		}
	}
}

// checkExpired: the expired password was refused with 403, and the next
// request, with a new password, served.
func (e *dialectEnv) checkExpired() {
	_, reg := e.answersFor("team/expire")
	if len(reg) < 2 || reg[0] != http.StatusForbidden || reg[1] != http.StatusOK {
		e.t.Errorf("%s: the registry answered %v; want 403 (expired), then 200 with a new password", sitExpired, reg)
	}
}

// checkRateLimit: the one limited request was answered 429, and not retried.
func (e *dialectEnv) checkRateLimit() {
	if _, reg := e.answersFor(sitRateLimit.repository()); !slices.Equal(reg, []int{http.StatusTooManyRequests}) {
		e.t.Errorf("%s: the registry answered %v; want one 429 (max_retries = 0)", sitRateLimit.name, reg)
	}
}

// resetLogs forgets what every server received so far.
func (e *dialectEnv) resetLogs() {
	e.f.Requests().Reset()
	e.f.TokenRequests().Reset()
	e.f.CDNRequests().Reset()
}

// checkReads: what the servers answered the reads of step 3.
func (e *dialectEnv) checkReads() {
	t := e.t
	// Private read: the credentials went to the token service (Bearer) or
	// to the registry (Basic), and the manifest was served.
	token, reg := e.answersFor("team/app")
	sent := false
	for _, log := range []*registrytest.RequestLog{e.f.Requests(), e.f.TokenRequests()} {
		for _, r := range log.All() {
			if r.AuthScheme == "Basic" && (tokenAsked(r, "team/app") || strings.HasPrefix(r.Path, "/v2/team/app/")) {
				sent = true
			}
		}
	}
	if !sent || !slices.Contains(reg, http.StatusOK) {
		t.Errorf("%s: credentials sent %v, token service answered %v, registry %v", sitPrivate, sent, token, reg)
	}
	// Public read: anonymous throughout.
	if e.has(sitPublic) {
		for _, log := range []*registrytest.RequestLog{e.f.Requests(), e.f.TokenRequests()} {
			for _, r := range log.All() {
				if r.HasAuthorization && r.AuthScheme != "Bearer" && (tokenAsked(r, "pub/app") || strings.HasPrefix(r.Path, "/v2/pub/app/")) {
					t.Errorf("%s: credentials were sent: %+v", sitPublic, r)
				}
			}
		}
	}
	// Redirected config blob: the registry redirected it, and the CDN (or
	// the relative Location) served it, without credentials on the CDN.
	redirected := 0
	for _, r := range e.f.Requests().All() {
		if strings.HasPrefix(r.Path, "/v2/team/app/blobs/") && r.Status >= 300 && r.Status < 400 {
			redirected++
		}
	}
	served := 0
	if e.d.Blobs.Redirect == dialect.RedirectRelative {
		for _, r := range e.f.Requests().All() {
			if strings.HasPrefix(r.Path, e.d.Blobs.RelativePrefix) && r.Status == http.StatusOK {
				served++
			}
		}
	}
	for _, r := range e.f.CDNRequests().All() {
		if r.HasAuthorization {
			t.Errorf("%s: the CDN received credentials: %+v", sitRedirect, r)
		}
		if r.Method == http.MethodGet && r.Status == http.StatusOK {
			served++
		}
	}
	if redirected == 0 || served == 0 {
		t.Errorf("%s: %d config blobs redirected, %d served after the redirect; want some of each", sitRedirect, redirected, served)
	}
	// OCI index: served (an Accept without its type gets 404 here).
	if _, reg := e.answersFor("pub/multi"); slices.Contains(reg, http.StatusNotFound) || !slices.Contains(reg, http.StatusOK) {
		t.Errorf("%s: the registry answered %v", sitIndex, reg)
	}
	// Tag paging: every read took the registry's pages, following its own
	// Link (its cursor in the query) on this repository's path only.
	var first, all int
	for _, r := range e.f.Requests().All() {
		switch {
		case r.Path == "/v2/pub/many/tags/list":
			all++
			if r.RawQuery == fmt.Sprintf("n=%d", 1000) {
				first++
			} else if !regexp.MustCompile(`(^|&)(last|next_page)=`).MatchString(r.RawQuery) {
				t.Errorf("%s: a page asked without the registry's cursor: %q", sitPaging, r.RawQuery)
			}
			if r.Status != http.StatusOK {
				t.Errorf("%s: a page was answered %d", sitPaging, r.Status)
			}
		case strings.HasSuffix(r.Path, "/tags/list"):
			t.Errorf("%s: a page was asked of another path: %s", sitPaging, r.Path)
		}
	}
	if first == 0 || all != first*e.fc.pages {
		t.Errorf("%s: %d reads took %d pages; want %d pages each", sitPaging, first, all, e.fc.pages)
	}
}

// checkWarm: in the warm plan, a HEAD that confirms the cache costs nothing
// more, and one that misbehaves costs one GET of the tag, never a GET by the
// digest it named.
func (e *dialectEnv) checkWarm() {
	t := e.t
	heads, gets := 0, 0
	for _, r := range e.f.Requests().All() {
		switch {
		case r.Method == http.MethodHead && r.Path == "/v2/pub/multi/manifests/1":
			heads++
		case r.Method == http.MethodGet && r.Path == "/v2/pub/multi/manifests/1":
			gets++
		case r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/v2/pub/multi/manifests/"):
			t.Errorf("%s: the warm plan fetched %s", sitWarm, r.Path)
		}
	}
	wantGets := heads
	if e.d.HEAD == dialect.HeadNormal {
		wantGets = 0
	}
	t.Logf("%s: HEAD answered as %s: %d HEAD, %d GET of the tag", sitWarm, e.d.HEAD, heads, gets)
	if heads == 0 || gets != wantGets {
		t.Errorf("%s (%s): %d HEAD and %d GET of the tag; want a GET for each HEAD only when HEAD misbehaves", sitWarm, e.d.HEAD, heads, gets)
	}
}
