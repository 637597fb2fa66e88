package provider

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAccHardening_CredentialsStayHome: where credentials may go. Redirects
// to another port, host name or scheme, realms on plain HTTP or at a
// metadata address, a ping redirected to plain HTTP and a token server that
// redirects to plain HTTP all fail without the credentials reaching anywhere
// but the registry and its realm; redirects of content to another origin
// still read, without credentials, and a 401 there gets the target's own
// anonymous token.
func TestAccHardening_CredentialsStayHome(t *testing.T) {
	secrets, ok := hardeningSetup(t)
	if !ok {
		return
	}
	users := map[string]string{hardUser: hardPass}

	// Basic credentials go with every request: the registry a leaking
	// redirect would hurt most.
	var rb *registrytest.Registry
	var blobCfg []byte
	var byName authSeen
	o1 := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/blob/") {
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/octet-stream"}}, blobCfg)(w, r)
			return
		}
		registrytest.Challenge(`Basic realm="elsewhere"`)(w, r)
	}))
	rb = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: users, Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case strings.HasPrefix(r.Host, "localhost:"):
				byName.add(r)
				next.ServeHTTP(w, r)
			case strings.HasPrefix(p, "/v2/cred/otherport/manifests/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o1.URL + r.URL.Path })(w, r)
			case strings.HasPrefix(p, "/v2/cred/othername/manifests/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return "http://localhost:" + port(rb.Host) + r.URL.Path })(w, r)
			case strings.HasPrefix(p, "/v2/cred/blob/blobs/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o1.URL + "/blob" + r.URL.Path })(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}})
	push(t, rb, "cred/otherport:1", "cred/othername:1")
	blob, cfg := push(t, rb, "cred/blob:1")
	blobCfg = cfg

	// Bearer: the redirect target answers 401 with a challenge of its own.
	const crossToken = "cross-host-anonymous-token"
	var crosshost pushed
	var o3 *registrytest.Origin
	o3 = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"token":"`+crossToken+`"}`))(w, r)
		case r.Header.Get("Authorization") == "Bearer "+crossToken:
			registrytest.Serve(http.StatusOK, manifestHeader(crosshost), crosshost.raw)(w, r)
		default:
			registrytest.Challenge(`Bearer realm="`+o3.URL+`/token",service="elsewhere"`)(w, r)
		}
	}))
	var rtRealm *registrytest.Origin
	rt := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users, Wrap: func(next http.Handler) http.Handler {
		next = registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/crosshost/manifests/"),
			registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o3.URL + r.URL.Path }))(next)
		return realmAt(&rtRealm)(next)
	}})
	rtRealm = recordingRealm(t, rt, nil, secrets)
	crosshost, _ = push(t, rt, "cred/crosshost:1")

	// HTTPS: a redirect to plain HTTP, with the right content waiting there,
	// and a blob redirected to HTTPS on another port.
	var downgrade pushed
	var tlsCfg []byte
	o4 := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registrytest.Serve(http.StatusOK, manifestHeader(downgrade), downgrade.raw)(w, r)
	}))
	var o5 *registrytest.Origin
	rs := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: users, Wrap: func(next http.Handler) http.Handler {
		next = registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/downgrade/manifests/"),
			registrytest.Redirect(http.StatusFound, func(r *http.Request) string { return o4.URL + r.URL.Path }))(next)
		return registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/tlsblob/blobs/"),
			registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o5.URL + r.URL.Path }))(next)
	}})
	o5 = registrytest.NewOrigin(t, registrytest.OriginOptions{TLSFrom: rs}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/octet-stream"}}, tlsCfg)(w, r)
	}))
	downgrade, _ = push(t, rs, "cred/downgrade:1")
	tlsblob, cfg := push(t, rs, "cred/tlsblob:1")
	tlsCfg = cfg

	// HTTPS registries whose realm is on plain HTTP, at a metadata address,
	// reached after a ping redirected to plain HTTP, or redirecting there.
	var httpRealm, pingRealm, pingTarget, redirectingRealm, redirectedRealm *registrytest.Origin
	tlsToken := func(wrap func(http.Handler) http.Handler) *registrytest.Registry {
		return registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: users, Wrap: wrap})
	}
	rh := tlsToken(realmAt(&httpRealm))
	httpRealm = recordingRealm(t, rh, nil, secrets)
	rm := tlsToken(registrytest.RewriteChallenge(registrytest.RealmTo("https://169.254.169.254/latest/meta-data/token")))
	rp := tlsToken(registrytest.Fault(exactPath(http.MethodGet, "/v2/"),
		registrytest.Redirect(http.StatusFound, func(*http.Request) string { return pingTarget.URL + "/v2/" })))
	pingRealm = recordingRealm(t, rp, nil, secrets)
	pingTarget = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"},
		registrytest.Challenge(`Bearer realm="`+pingRealm.URL+`/token",service="`+registrytest.Service+`"`))
	rr := tlsToken(realmAt(&redirectingRealm))
	redirectedRealm = recordingRealm(t, rr, nil, secrets)
	redirectingRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost", TLSFrom: rr},
		registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return redirectedRealm.URL + "/token?" + r.URL.RawQuery }))
	push(t, rh, "cred/httprealm:1")
	push(t, rm, "cred/metadata:1")
	push(t, rp, "cred/pingdowngrade:1")
	push(t, rr, "cred/realmredirect:1")

	blocks := []string{
		registryBlock(append([]string{"address", q(rb.Host)}, hardCreds...)...),
		registryBlock(append([]string{"address", q(rt.Host)}, hardCreds...)...),
		tlsBlock(rs, hardCreds...), tlsBlock(rh, hardCreds...), tlsBlock(rm, hardCreds...), tlsBlock(rp, hardCreds...), tlsBlock(rr, hardCreds...),
		// A block's TLS settings stay with its host:port: rs's token server, the
		// HTTPS blob target and rr's redirecting realm, elsewhere with
		// certificates from those registries' CAs, each get a block of their own.
		caBlock(rs, rs.TokenHost()), caBlock(rs, o5.Host), caBlock(rr, redirectingRealm.Host),
	}
	f := &failures{secrets: secrets}
	// Checked even when a step fails: what reached where matters most then.
	defer func() {

		for _, r := range o1.Requests.All() {
			if r.HasAuthorization {
				t.Errorf("the server on another port received %s credentials at %s", r.AuthScheme, r.Path)
			}
		}
		// The rest needs the successful step to have run.
		stepsRan := !t.Failed()
		if stepsRan && len(o1.Requests.All()) == 0 {
			t.Error("nothing was redirected to the server on another port: the test proves nothing")
		}
		for _, a := range byName.all() {
			if a != "" {
				t.Errorf("the registry under another name (localhost) received credentials: %s", strings.Fields(a)[0])
			}
		}
		if stepsRan && len(byName.all()) == 0 {
			t.Error("nothing was redirected to the registry's other name: the test proves nothing")
		}
		for _, r := range o3.Requests.All() {
			if r.Path == "/token" && r.HasAuthorization {
				t.Errorf("the redirect target's realm received %s credentials", r.AuthScheme)
			}
		}
		for _, s := range secrets.All() {
			for name, o := range map[string]*registrytest.Origin{"redirect target (bearer)": o3, "redirect target (other port)": o1, "HTTPS blob target": o5} {
				if o.Requests.SawSecret(s) {
					t.Errorf("the %s received a secret (%s)", name, mask(s))
				}
			}
		}
		if stepsRan && o3.Requests.Count(http.MethodGet, "/token") == 0 {
			t.Error("the redirect target's own challenge was never answered: the test proves nothing")
		}
		for name, o := range map[string]*registrytest.Origin{
			"plain-HTTP redirect target of an HTTPS registry": o4,
			"plain-HTTP realm of an HTTPS registry":           httpRealm,
			"plain-HTTP ping target of an HTTPS registry":     pingTarget,
			"realm of a downgraded ping":                      pingRealm,
			"plain-HTTP target of a realm's redirect":         redirectedRealm,
		} {
			if n := len(o.Requests.All()); n != 0 {
				t.Errorf("the %s received %d requests", name, n)
			}
			for _, s := range secrets.All() {
				if o.Requests.SawSecret(s) {
					t.Errorf("the %s received a secret (%s)", name, mask(s))
				}
			}
		}
		for _, r := range o5.Requests.All() {
			if r.HasAuthorization {
				t.Errorf("the HTTPS blob target on another port received %s credentials", r.AuthScheme)
			}
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(noCache, blocks...)+manifestConfig(map[string]string{
			"otherport":     rb.Host + "/cred/otherport:1",
			"othername":     rb.Host + "/cred/othername:1",
			"downgrade":     rs.Host + "/cred/downgrade:1",
			"httprealm":     rh.Host + "/cred/httprealm:1",
			"metadata":      rm.Host + "/cred/metadata:1",
			"pingdowngrade": rp.Host + "/cred/pingdowngrade:1",
			"realmredirect": rr.Host + "/cred/realmredirect:1",
		}),
			// A 401 from the target of a redirect to another port, or to the
			// registry under another name, is not answered with the
			// registry's credentials: the read fails.
			expectDiag("cred/otherport", `Registry Authentication Failed`),
			expectDiag("cred/othername", `Registry Authentication Failed`),
			// HTTPS never downgrades, not even to the right content.
			expectDiag("cred/downgrade", `Malformed Registry Response`, `never downgrades HTTPS to plain HTTP`),
			// An HTTPS registry never sends credentials to a plain-HTTP
			// realm (go-containerregistry's check), nor to a metadata
			// address (go-containerregistry's and the guard's).
			expectDiag("cred/httprealm", `Malformed Registry Response`, `realm scheme "http" not allowed`),
			expectDiag("cred/metadata", `Malformed Registry Response`, `link-local`),
			// A ping redirected to plain HTTP would make the registry look
			// plain HTTP, and a plain-HTTP realm acceptable.
			expectDiag("cred/pingdowngrade", `Malformed Registry Response`, `never downgrades HTTPS to plain HTTP`),
			expectDiag("cred/realmredirect", `Malformed Registry Response`, `refusing token-server redirect|never downgrades HTTPS`),
		),
		// Content redirected to another origin is read without credentials;
		// a 401 there gets the target's own anonymous token.
		okStep(secrets, providerConfig(noCache, blocks...)+manifestConfig(map[string]string{
			"blob":      rb.Host + "/cred/blob:1",
			"crosshost": rt.Host + "/cred/crosshost:1",
			"tlsblob":   rs.Host + "/cred/tlsblob:1",
		}), digestIs("blob", blob.digest), digestIs("crosshost", crosshost.digest), digestIs("tlsblob", tlsblob.digest)),
	)
}

func port(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

// authSeen records the Authorization values requests carried.
type authSeen struct {
	mu     sync.Mutex
	values []string
}

func (a *authSeen) add(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.values = append(a.values, r.Header.Get("Authorization"))
}

func (a *authSeen) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.values...)
}
