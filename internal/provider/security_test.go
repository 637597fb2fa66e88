package provider

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"go.uber.org/goleak"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// The security tests drive through Terraform what SECURITY.md
// promises about plain HTTP, TLS settings and tokens, in a child process
// whose HTTP_PROXY and HTTPS_PROXY point at a proxy that maps private
// addresses (10.x, 0.0.0.0, [::]) to servers on loopback: those addresses
// are only ever names there, never dialled, and every plain-HTTP request
// that goes through the proxy is recorded. SSL_CERT_FILE makes one test
// CA the system's, so that "the default verification" can be told apart
// from a registry block's CA.

const (
	secUser = "sec-user"
	// Each registry its own password: where one turns up says who sent it.
	secPassTLS     = "sec-pw-tls-9b1f"     // the HTTPS registry at 10.9.9.9:5000
	secPassPlain   = "sec-pw-plain-37c2"   // the plain-HTTP registry at 10.9.9.10:5000, no insecure
	secPassAllowed = "sec-pw-allowed-d04e" // the plain-HTTP registry at 10.9.9.11:5000, insecure = true
	secPass        = "sec-pw-other-5a8e"   // every other registry
	secRefresh     = "rt-sec-identity-61f3"
)

// caBlock is a registry block with only TLS settings: host trusts reg's CA.
// A token realm or redirect target on another host:port than the registry
// needs one, as a block's TLS settings stay with its own host:port.
func caBlock(reg *registrytest.Registry, host string) string {
	return registryBlock("address", q(host), "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM))))
}

// TestAccSecurity: plain HTTP only where allowed, TLS settings only for
// their host, realms never at private addresses, token lifetimes honoured
// and the refresh-token POST retried. See the subtests' comments.
func TestAccSecurity(t *testing.T) {
	if !inChild(t) {
		return
	}
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/hashicorp/go-plugin.copyChan"))
	})
	proxy := registrytest.NewConnectProxy(t)
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(v, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	// The system's trusted CAs: the machine's and this registry's CA.
	system := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthHtpasswd, Users: map[string]string{secUser: secPass}})
	caFile := filepath.Join(t.TempDir(), "system-ca.pem")
	if err := os.WriteFile(caFile, system.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", caFile)

	logs := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logs, "%s.log"))
	t.Setenv("TF_LOG_SDK_HELPER_RESOURCE", "OFF")
	secrets := &registrytest.Secrets{}
	for _, s := range []string{secPassTLS, secPassPlain, secPassAllowed, secPass, secRefresh} {
		secrets.Add(s)
		secrets.Add(basicAuth(secUser, s))
	}

	s := newSecurityCase(t, proxy, system, secrets)
	f := &failures{secrets: secrets}
	defer s.check(t)
	hardeningCase(t, f,
		f.step(s.config(false, s.failing), s.wantFailures()...),
		resource.TestStep{
			PreConfig: s.afterFailures(t),
			Config:    s.config(true, s.reading),
			ConfigStateChecks: append(readsOK(s.reading),
				// The last of 20 readers of a repository whose token expired mid-plan.
				digestIs("expiring_19", s.expiring.digest)),
			Check: noSecretsInState(secrets),
		},
	)
	var targets []string
	for _, target := range proxy.Targets() {
		if !s.routed[target] {
			targets = append(targets, target)
		}
	}
	if len(targets) > 0 {
		t.Errorf("the provider asked the proxy for hosts it has no route for: %v", targets)
	}
	checkLogs(t, logs, secrets.All())
}

// securityCase holds the servers of TestAccSecurity.
type securityCase struct {
	proxy   *registrytest.ConnectProxy
	routed  map[string]bool
	secrets *registrytest.Secrets

	// Private addresses (item 1).
	httpsPrivate, plainPrivate, allowedPrivate *registrytest.Registry
	// TLS settings (item 2): registries with skip_tls_verify or their own
	// CA whose realm is on another host with a certificate the system does
	// not trust, and one whose realm's CA is the system's.
	skipTLS, ownCA, systemRealm  *registrytest.Registry
	skipRealm, ownRealm          *registrytest.Origin
	systemRoots                  *registrytest.Registry
	privateRealms, realmRedirect map[string]*registrytest.Registry
	catcher                      *registrytest.Origin
	realmHosts                   map[string]bool // the catcher's names at private addresses
	// Tokens (items 3 and 4).
	expiring pushed
	expReg   *registrytest.Registry
	events   *tokenEvents
	identity *registrytest.Registry
	idPosts  *registrytest.Stamps

	failing, reading map[string]string
	blocks           map[string][]string
}

// tokenEvents is the order of one registry's pings and token requests: each
// provider run pings once, so the tokens of a run are those between its
// ping and the next.
type tokenEvents struct {
	mu     sync.Mutex
	events []string
}

func (e *tokenEvents) add(ev string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

// perRun counts the token requests of each provider run.
func (e *tokenEvents) perRun() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var runs []int
	for _, ev := range e.events {
		switch {
		case ev == "ping":
			runs = append(runs, 0)
		case len(runs) > 0:
			runs[len(runs)-1]++
		}
	}
	return runs
}

func (s *securityCase) route(name, addr string) {
	s.proxy.Route(name, addr)
	s.routed[name] = true
}

func newSecurityCase(t *testing.T, proxy *registrytest.ConnectProxy, system *registrytest.Registry, secrets *registrytest.Secrets) *securityCase {
	s := &securityCase{proxy: proxy, routed: map[string]bool{}, secrets: secrets, systemRoots: system,
		failing: map[string]string{}, reading: map[string]string{}, blocks: map[string][]string{}}
	creds := func(pw string) []string { return []string{"username", q(secUser), "password", q(pw)} }
	users := func(pw string) map[string]string { return map[string]string{secUser: pw} }

	// Item 1. An HTTPS registry under a private address, whose pings take
	// a second to answer: go-containerregistry, which tries plain HTTP for
	// RFC 1918 addresses, would start its plain-HTTP attempt meanwhile.
	s.httpsPrivate = registrytest.New(t, registrytest.Options{TLS: true, IPAddresses: []net.IP{net.IPv4(10, 9, 9, 9)},
		Auth: registrytest.AuthHtpasswd, Users: users(secPassTLS),
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" && r.Header.Get("Authorization") == "" {
					time.Sleep(time.Second)
				}
				next.ServeHTTP(w, r)
			})
		}})
	s.route("10.9.9.9:5000", s.httpsPrivate.Host)
	push(t, s.httpsPrivate, "private/https:1")
	s.blocks["private/https"] = append([]string{"address", q("10.9.9.9:5000"), "ca_cert_pem", heredoc(strings.TrimSpace(string(s.httpsPrivate.CAPEM)))}, creds(secPassTLS)...)
	s.reading["private_https"] = "10.9.9.9:5000/private/https:1"
	// Plain-HTTP registries under private addresses: without insecure the
	// read fails (HTTPS fails, plain HTTP is not tried); with it, it reads.
	s.plainPrivate = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: users(secPassPlain)})
	s.route("10.9.9.10:5000", s.plainPrivate.Host)
	push(t, s.plainPrivate, "private/plain:1")
	s.blocks["private/plain"] = append([]string{"address", q("10.9.9.10:5000")}, creds(secPassPlain)...)
	s.failing["private_plain"] = "10.9.9.10:5000/private/plain:1"
	s.allowedPrivate = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: users(secPassAllowed)})
	s.route("10.9.9.11:5000", s.allowedPrivate.Host)
	push(t, s.allowedPrivate, "private/allowed:1")
	s.blocks["private/allowed"] = append([]string{"address", q("10.9.9.11:5000"), "insecure", "true"}, creds(secPassAllowed)...)
	s.reading["private_allowed"] = "10.9.9.11:5000/private/allowed:1"

	// Item 2. Token registries whose realm is on another host (localhost)
	// with a certificate from the registry's own CA, which the system does
	// not trust: a block with skip_tls_verify, or with that CA, fails there
	// until the realm's host has a block of its own.
	realmOf := func(reg **registrytest.Registry, tlsFrom func() *registrytest.Registry) *registrytest.Origin {
		var realm *registrytest.Origin
		r := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: users(secPass), Wrap: realmAt(&realm)})
		*reg = r
		realm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost", TLSFrom: tlsFrom()}, registrytest.TokenProxy(t, r, nil, secrets))
		return realm
	}
	s.skipRealm = realmOf(&s.skipTLS, func() *registrytest.Registry { return s.skipTLS })
	push(t, s.skipTLS, "tls/skip:1")
	s.blocks["tls/skip"] = append([]string{"address", q(s.skipTLS.Host), "skip_tls_verify", "true"}, creds(secPass)...)
	s.ownRealm = realmOf(&s.ownCA, func() *registrytest.Registry { return s.ownCA })
	push(t, s.ownCA, "tls/own:1")
	s.blocks["tls/own"] = append([]string{"address", q(s.ownCA.Host), "ca_cert_pem", heredoc(strings.TrimSpace(string(s.ownCA.CAPEM)))}, creds(secPass)...)
	for name, ref := range map[string]string{"tls_skip": s.skipTLS.Host + "/tls/skip:1", "tls_own": s.ownCA.Host + "/tls/own:1"} {
		s.failing[name], s.reading[name] = ref, ref
	}
	// A realm whose certificate the system trusts needs nothing more.
	realmOf(&s.systemRealm, func() *registrytest.Registry { return system })
	push(t, s.systemRealm, "tls/systemrealm:1")
	s.blocks["tls/systemrealm"] = append([]string{"address", q(s.systemRealm.Host), "skip_tls_verify", "true"}, creds(secPass)...)
	s.reading["tls_systemrealm"] = s.systemRealm.Host + "/tls/systemrealm:1"
	// Item 7: ca_cert_pem adds to the system's CAs. This registry's CA is
	// the system's; its block trusts another CA.
	push(t, system, "tls/systemroots:1")
	s.blocks["tls/systemroots"] = append([]string{"address", q(system.Host), "ca_cert_pem", heredoc(strings.TrimSpace(string(s.ownCA.CAPEM)))}, creds(secPass)...)
	s.reading["tls_systemroots"] = system.Host + "/tls/systemroots:1"

	// Item 7: realms at loopback, private and unspecified addresses, and a
	// token server that redirects to such addresses, are refused. They are
	// HTTPS, so that only the realm rule stands in the way (the guard
	// refuses plain HTTP to them anyway). Should it break, the catcher
	// (with a certificate the system trusts, for 127.0.0.1) records what it
	// was sent, and the proxy, through which every other address would be
	// reached, records that it was asked.
	s.catcher = registrytest.NewOrigin(t, registrytest.OriginOptions{TLSFrom: system},
		registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"token":"caught"}`)))
	catchPort := port(s.catcher.Host)
	s.realmHosts = map[string]bool{}
	for _, name := range []string{"10.9.9.20:" + catchPort, "10.9.9.21:" + catchPort, "0.0.0.0:" + catchPort, "[::]:" + catchPort} {
		s.route(name, s.catcher.Host)
		s.realmHosts[name] = true
	}
	s.privateRealms = map[string]*registrytest.Registry{}
	for name, realm := range map[string]string{
		"loopback": "https://127.0.0.1:" + catchPort + "/token", "private": "https://10.9.9.20:" + catchPort + "/token",
		"unspecified4": "https://0.0.0.0:" + catchPort + "/token", "unspecified6": "https://[::]:" + catchPort + "/token",
	} {
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users(secPass),
			Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(realm))})
		push(t, reg, "realm/"+name+":1")
		s.privateRealms[name] = reg
		s.blocks["realm/"+name] = append([]string{"address", q(reg.Host)}, creds(secPass)...)
		s.failing["realm_"+name] = reg.Host + "/realm/" + name + ":1"
	}
	redirector := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "https://10.9.9.21:" + catchPort + "/token?"
		if strings.HasPrefix(r.URL.Path, "/loopback/") {
			to = "https://127.0.0.1:" + catchPort + "/token?"
		}
		http.Redirect(w, r, to+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	s.realmRedirect = map[string]*registrytest.Registry{}
	for _, name := range []string{"private", "loopback"} {
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users(secPass),
			Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(redirector.URL + "/" + name + "/token"))})
		push(t, reg, "redirect/"+name+":1")
		s.realmRedirect[name] = reg
		s.blocks["redirect/"+name] = append([]string{"address", q(reg.Host)}, creds(secPass)...)
		s.failing["redirect_"+name] = reg.Host + "/redirect/" + name + ":1"
	}

	// Item 3. Tokens that last 4 s, refused from the second they expire;
	// the config requests carrying the first token wait until it has
	// expired, so that it expires in the middle of the plan.
	s.events = &tokenEvents{}
	var expRealm *registrytest.Origin
	s.expReg = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users(secPass), TokenTTL: 4 * time.Second,
		StrictTokenExpiry: true,
		Wrap: func(next http.Handler) http.Handler {
			next = registrytest.UntilExpired(registrytest.Match(http.MethodGet, "/v2/expiring/app/blobs/"))(next)
			next = realmAt(&expRealm)(next)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" && r.Header.Get("Authorization") == "" {
					s.events.add("ping")
				}
				next.ServeHTTP(w, r)
			})
		}})
	proxied := registrytest.TokenProxy(t, s.expReg, nil, secrets)
	expRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.events.add("token")
		proxied.ServeHTTP(w, r)
	}))
	s.expiring, _ = push(t, s.expReg, "expiring/app:1")
	s.blocks["expiring/app"] = append([]string{"address", q(s.expReg.Host)}, creds(secPass)...)
	for i := range 20 {
		s.reading[fmt.Sprintf("expiring_%d", i)] = s.expReg.Host + "/expiring/app:1"
	}

	// Item 4. An identity token whose first refresh-token POST gets 503.
	s.idPosts = &registrytest.Stamps{}
	var idRealm *registrytest.Origin
	s.identity = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, RefreshTokens: map[string]string{secRefresh: secUser},
		Wrap: realmAt(&idRealm)})
	idRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"},
		registrytest.FaultFirst(1, registrytest.Match(http.MethodPost, "/token"), registrytest.Respond(http.StatusServiceUnavailable, "UNAVAILABLE"), s.idPosts)(
			registrytest.TokenProxy(t, s.identity, nil, secrets)))
	push(t, s.identity, "identity/app:1")
	s.blocks["identity/app"] = []string{"address", q(s.identity.Host), "identity_token", q(secRefresh)}
	s.reading["identity"] = s.identity.Host + "/identity/app:1"
	return s
}

// config renders the provider with a block for each registry the reads
// need and, when realmBlocks, TLS-only blocks for the realms of the
// registries with skip_tls_verify or their own CA.
func (s *securityCase) config(realmBlocks bool, reads map[string]string) string {
	var blocks []string
	for repo, attrs := range s.blocks {
		for _, ref := range reads {
			if strings.Contains(ref, "/"+repo+":") {
				blocks = append(blocks, registryBlock(attrs...))
				break
			}
		}
	}
	if realmBlocks {
		blocks = append(blocks, caBlock(s.skipTLS, s.skipRealm.Host), caBlock(s.ownCA, s.ownRealm.Host))
	}
	return providerConfig(noCache, blocks...) + manifestConfig(reads)
}

func (s *securityCase) wantFailures() []diagWant {
	want := []diagWant{
		// HTTPS failed (a plain-HTTP server), and plain HTTP was not tried.
		expectDiag("private/plain", `Registry TLS Error`, `Plain HTTP was not tried`, `insecure = true`),
		// The realm's certificate is verified against the system's CAs,
		// whatever the registry's block says, and the diagnostic names it.
		expectDiag("tls/skip", `Registry TLS Error`, `TLS failure was at `+s.skipRealm.Host, `address\s+=\s+"`+s.skipRealm.Host+`"`),
		expectDiag("tls/own", `Registry TLS Error`, `TLS failure was at `+s.ownRealm.Host),
	}
	for name := range s.privateRealms {
		want = append(want, expectDiag("realm/"+name, `Malformed Registry Response`, `invalid realm`, `private or link-local`))
	}
	for name := range s.realmRedirect {
		want = append(want, expectDiag("redirect/"+name, `Malformed Registry Response`, `refusing token-server redirect`))
	}
	return want
}

// afterFailures checks, before the reads that succeed, that the failed
// reads sent nothing where they must not.
func (s *securityCase) afterFailures(t *testing.T) func() {
	return func() {
		if n := len(s.plainPrivate.Requests.All()); n != 0 {
			t.Errorf("the plain-HTTP registry at 10.9.9.10:5000 (no insecure) received %d requests", n)
		}
		for name, o := range map[string]*registrytest.Origin{"skip_tls_verify": s.skipRealm, "ca_cert_pem": s.ownRealm} {
			if n := len(o.Requests.All()); n != 0 {
				t.Errorf("the untrusted realm of the registry with %s received %d requests", name, n)
			}
		}
	}
}

// check is what must hold whatever happened: nothing plain-HTTP but to the
// registry marked insecure, no credential where it must not be, tokens.
func (s *securityCase) check(t *testing.T) {
	plain := s.proxy.Plain.All()
	for _, pw := range []string{secPassTLS, secPassPlain, secPass, secRefresh} {
		if s.proxy.Plain.SawSecret(pw) {
			t.Errorf("a password went over plain HTTP (%s)", mask(pw))
		}
	}
	if n := len(s.allowedPrivate.Requests.All()); len(plain) != n {
		t.Errorf("%d plain-HTTP requests went through the proxy, %d of them to the registry marked insecure: %v", len(plain), n, plain)
	}
	if n := len(s.plainPrivate.Requests.All()); n != 0 {
		t.Errorf("the plain-HTTP registry without insecure received %d requests", n)
	}
	for _, r := range s.catcher.Requests.All() {
		t.Errorf("a realm at a private address, or a token server's redirect there, received a request for %s (credentials: %v)", r.RawQuery, r.HasAuthorization)
	}
	for _, target := range s.proxy.Targets() {
		if s.realmHosts[target] {
			t.Errorf("a realm at a private address, or a token server's redirect there, was asked for: %s", target)
		}
	}
	for _, sec := range s.secrets.All() {
		if s.catcher.Requests.SawSecret(sec) {
			t.Errorf("the private-address realm received a secret (%s)", mask(sec))
		}
	}
	if t.Failed() {
		return
	}
	// Reading: insecure = true tries HTTPS first (a CONNECT), then HTTP.
	asked := 0
	for _, target := range s.proxy.Targets() {
		if target == "10.9.9.11:5000" {
			asked++
		}
	}
	if asked <= len(plain) || !s.proxy.Plain.SawSecret(secPassAllowed) {
		t.Errorf("insecure = true: %d requests to 10.9.9.11:5000, %d of them plain HTTP: want HTTPS tried first, then plain HTTP", asked, len(plain))
	}
	// Tokens: at most 3 per provider run for 20 readers, however the
	// first token expired in the middle of the first run.
	runs := s.events.perRun()
	expired := 0
	for _, r := range s.expReg.Requests.All() {
		if r.Status == http.StatusUnauthorized && r.HasAuthorization {
			expired++
		}
	}
	t.Logf("20 readers of one repository, tokens of 4 s refused when expired: token requests per provider run %v; %d requests refused an expired token", runs, expired)
	if len(runs) == 0 || expired == 0 {
		t.Errorf("no token expired during a run (runs %v): the test proves nothing", runs)
	}
	for i, n := range runs {
		if n > 3 {
			t.Errorf("provider run %d made %d token requests for 20 readers, want at most 3", i+1, n)
		}
	}
	// The identity token's first refresh-token POST got 503, and was retried.
	if st := s.idPosts.All(); len(st) < 2 || !st[0].Faulted || st[1].Faulted {
		t.Errorf("refresh-token POSTs %+v: want the 503 and then a retry", st)
	}
}
