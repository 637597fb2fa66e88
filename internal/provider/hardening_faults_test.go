package provider

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAccHardening_FaultsEndInTime: faults end in time. 429 and 503 are
// retried after the Retry-After asked for, in seconds or as an HTTP date;
// one that asks for more than the cap or than the timeout leaves fails at
// once; a trickling body and a stalled token server end at the timeout;
// token server errors and garbage are diagnosed without showing what the
// server said; a token whose expires_in is absent or 1 s is reused for the
// whole read; a token the registry rejects is fetched once more, not in a
// loop; HEAD refused with 403 or 405 falls back to GET.
func TestAccHardening_FaultsEndInTime(t *testing.T) {
	secrets, ok := hardeningSetup(t)
	if !ok {
		return
	}
	users := map[string]string{hardUser: hardPass}
	var seconds, date, unavailable, hour, long, head405, head403 registrytest.Stamps
	var trickle pushed
	never := 1 << 30
	manifests := func(repo string) func(*http.Request) bool {
		return registrytest.Match(http.MethodGet, "/v2/faults/"+repo+"/manifests/")
	}
	heads := func(repo string) func(*http.Request) bool {
		return registrytest.Match(http.MethodHead, "/v2/faults/"+repo+"/manifests/")
	}
	rf := registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		for _, w := range []func(http.Handler) http.Handler{
			registrytest.FaultFirst(1, manifests("ra-seconds"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(1)), &seconds),
			registrytest.FaultFirst(1, manifests("ra-date"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterDate(2*time.Second)), &date),
			registrytest.FaultFirst(1, manifests("unavailable"), registrytest.RateLimited(http.StatusServiceUnavailable, registrytest.RetryAfterSeconds(1)), &unavailable),
			registrytest.FaultFirst(never, manifests("ra-hour"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(3600)), &hour),
			registrytest.FaultFirst(never, manifests("ra-long"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(30)), &long),
			registrytest.FaultFirst(never, heads("nohead405"), registrytest.Respond(http.StatusMethodNotAllowed, "UNSUPPORTED"), &head405),
			registrytest.FaultFirst(never, heads("nohead403"), registrytest.Respond(http.StatusForbidden, "DENIED"), &head403),
			registrytest.Fault(manifests("trickle"), func(w http.ResponseWriter, r *http.Request) {
				registrytest.Trickle(http.StatusOK, manifestHeader(trickle), trickle.raw, 250*time.Millisecond)(w, r)
			}),
		} {
			next = w(next)
		}
		return next
	}})
	pushedAt := map[string]pushed{}
	for _, repo := range []string{"ra-seconds", "ra-date", "unavailable", "ra-hour", "ra-long", "trickle", "nohead405", "nohead403"} {
		pushedAt[repo], _ = push(t, rf, "faults/"+repo+":1")
	}
	trickle = pushedAt["trickle"]

	// Token servers that stall, fail, answer garbage, or answer without a
	// token but with a refresh token that must not be shown.
	leaky := "rt-leaky-" + fmt.Sprint(time.Now().UnixNano())
	secrets.Add(leaky)
	tokenFault := func(repo string, h http.Handler) *registrytest.Registry {
		origin := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, h)
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users,
			Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(origin.URL + "/token"))})
		push(t, reg, "faults/"+repo+":1")
		return reg
	}
	json := http.Header{"Content-Type": {"application/json"}}
	stall := tokenFault("tokstall", registrytest.Stall())
	failing := tokenFault("tok500", registrytest.Serve(http.StatusInternalServerError, json, []byte(`{"errors":[{"code":"UNKNOWN","message":"token service down"}]}`)))
	garbage := tokenFault("tokgarbage", registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"text/html"}}, []byte("<html>login page</html>")))
	noToken := tokenFault("toknotoken", registrytest.Serve(http.StatusOK, json, []byte(`{"refresh_token":"`+leaky+`","expires_in":60}`)))

	// A registry that rejects every token it is given.
	var rejecting *registrytest.Registry
	rejecting = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users,
		Wrap: registrytest.Fault(func(r *http.Request) bool {
			return manifests("rejected")(r) && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
		}, func(w http.ResponseWriter, r *http.Request) {
			registrytest.Challenge(`Bearer realm="`+rejecting.TokenURL+`",service="`+registrytest.Service+`",scope="repository:faults/rejected:pull"`)(w, r)
		})})
	push(t, rejecting, "faults/rejected:1")

	// Tokens whose expires_in is absent, or 1 s, for a read that lasts
	// longer: the first config request waits 1.5 s.
	expiring := func(rewrite func(map[string]any)) (*registrytest.Registry, pushed) {
		var realm *registrytest.Origin
		var slow atomic.Bool
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users, TokenTTL: time.Second,
			Wrap: func(next http.Handler) http.Handler {
				inner := next
				next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/blobs/") && slow.CompareAndSwap(false, true) {
						select {
						case <-time.After(1500 * time.Millisecond):
						case <-r.Context().Done():
							return
						}
					}
					inner.ServeHTTP(w, r)
				})
				return realmAt(&realm)(next)
			}})
		realm = recordingRealm(t, reg, rewrite, secrets)
		p, _ := push(t, reg, "faults/expires:1")
		return reg, p
	}
	absent, absentImg := expiring(func(m map[string]any) { delete(m, "expires_in") })
	short, shortImg := expiring(func(m map[string]any) { m["expires_in"] = 1 })

	blocks := []string{}
	for _, reg := range []*registrytest.Registry{stall, failing, garbage, noToken, rejecting, absent, short} {
		blocks = append(blocks, registryBlock(append([]string{"address", q(reg.Host)}, hardCreds...)...))
	}
	f := &failures{secrets: secrets}
	start := time.Now()
	var failed time.Duration
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		// Three data sources waited for the 3 s timeout, in parallel; nothing
		// waited for Retry-After: 30 or 3600.
		if failed > 15*time.Second {
			t.Errorf("the failing step took %s: something waited past the timeout", failed)
		}
		for name, st := range map[string]*registrytest.Stamps{"Retry-After: 3600": &hour, "Retry-After: 30 with timeout 3s": &long} {
			if n := len(st.All()); n != 1 {
				t.Errorf("%s: the manifest was asked for %d times, want once (no wait, no retry)", name, n)
			}
		}
		// A rejected token is fetched again once per request, not in a loop.
		pings, tokens := countPath(rejecting.Requests.All(), "/v2/"), len(rejecting.TokenRequests.All())
		gets := rejecting.Count(http.MethodGet, "/v2/faults/rejected/manifests/")
		t.Logf("a rejected token: %d token requests, %d manifest requests, %d provider runs", tokens, gets, pings)
		if pings == 0 || tokens != 2*pings || gets != 2*pings {
			t.Errorf("a rejected token: %d token requests and %d manifest requests in %d provider runs, want 2 and 2 per run", tokens, gets, pings)
		}
		if t.Failed() {
			return // the rest needs the successful step to have run
		}
		for name, st := range map[string]*registrytest.Stamps{"429, Retry-After: 1": &seconds, "429, Retry-After as a date 2 s ahead": &date, "503, Retry-After: 1": &unavailable} {
			all := st.All()
			if len(all) < 2 || !all[0].Faulted || all[1].Faulted {
				t.Errorf("%s: requests %+v, want the fault and then a retry", name, all)
				continue
			}
			gap := all[1].At.Sub(all[0].At)
			if gap < 900*time.Millisecond {
				t.Errorf("%s: retried after %s, before the registry asked", name, gap)
			}
			t.Logf("%s: retried after %s", name, gap.Round(time.Millisecond))
		}
		for name, st := range map[string]*registrytest.Stamps{"405": &head405, "403": &head403} {
			if len(st.All()) == 0 {
				t.Errorf("HEAD answered %s: no HEAD was sent, so the fallback was not tried", name)
			}
		}
		// One token per provider run (each run pings once), however short
		// expires_in was and however long the read took.
		for name, reg := range map[string]*registrytest.Registry{"absent": absent, "1 s": short} {
			pings := countPath(reg.Requests.All(), "/v2/")
			if tokens := len(reg.TokenRequests.All()); pings == 0 || tokens != pings {
				t.Errorf("expires_in %s: %d token requests in %d provider runs, want one per run", name, tokens, pings)
			}
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(noCache+"  timeout = \"3s\"\n  max_retries = 1\n", blocks...)+manifestConfig(map[string]string{
			"hour":       rf.Host + "/faults/ra-hour:1",
			"long":       rf.Host + "/faults/ra-long:1",
			"trickle":    rf.Host + "/faults/trickle:1",
			"tokstall":   stall.Host + "/faults/tokstall:1",
			"tok500":     failing.Host + "/faults/tok500:1",
			"tokgarbage": garbage.Host + "/faults/tokgarbage:1",
			"toknotoken": noToken.Host + "/faults/toknotoken:1",
			"rejected":   rejecting.Host + "/faults/rejected:1",
		}),
			// Waits beyond the cap (60 s) or beyond the timeout are not
			// waited for: the read fails at once, saying what was asked.
			expectDiag("faults/ra-hour", `Registry Rate Limit Reached`, `asked for 1h0m0s`),
			expectDiag("faults/ra-long", `Registry Rate Limit Reached`, `asked for 30s`),
			expectDiag("faults/trickle", `Registry Request Timed Out`),
			expectDiag("faults/tokstall", `Registry Request Timed Out`),
			expectDiag("faults/tok500", `HTTP 500`),
			expectDiag("faults/tokgarbage", `Malformed Registry Response`),
			expectDiag("faults/toknotoken", `Malformed Registry Response`, `answered without a token`),
			expectDiag("faults/rejected", `Registry Authentication Failed`),
		),
		resource.TestStep{
			PreConfig: func() { failed = time.Since(start) },
			Config: providerConfig("  cache_dir = "+q(t.TempDir())+"\n", blocks...) + manifestConfig(map[string]string{
				"seconds":     rf.Host + "/faults/ra-seconds:1",
				"date":        rf.Host + "/faults/ra-date:1",
				"unavailable": rf.Host + "/faults/unavailable:1",
				"nohead405":   rf.Host + "/faults/nohead405:1",
				"nohead403":   rf.Host + "/faults/nohead403:1",
				"absent":      absent.Host + "/faults/expires:1",
				"short":       short.Host + "/faults/expires:1",
			}),
			ConfigStateChecks: []statecheck.StateCheck{
				digestIs("seconds", pushedAt["ra-seconds"].digest), digestIs("date", pushedAt["ra-date"].digest),
				digestIs("unavailable", pushedAt["unavailable"].digest), digestIs("nohead405", pushedAt["nohead405"].digest),
				digestIs("nohead403", pushedAt["nohead403"].digest), digestIs("absent", absentImg.digest), digestIs("short", shortImg.digest),
			},
			Check: noSecretsInState(secrets),
		},
	)
}
