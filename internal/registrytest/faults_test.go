package registrytest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestFaults drives each fault against a real registry and origins, and
// checks that the faults are what a client sees, that origins record what
// they receive, and that everything stops with the test (TestMain's goleak).
func TestFaults(t *testing.T) {
	ctx := context.Background()
	var written Counter
	var stamps Stamps
	var realm *Origin
	reg := New(t, Options{Auth: AuthToken, TLS: true, Users: map[string]string{alice: alicePW}, Wrap: func(next http.Handler) http.Handler {
		next = FaultFirst(1, Match(http.MethodGet, "/v2/limited/"), RateLimited(http.StatusTooManyRequests, RetryAfterDate(2*time.Second)), &stamps)(next)
		next = Fault(Match(http.MethodGet, "/v2/endless/"), Endless(http.StatusNotFound, nil, &written))(next)
		next = Fault(Match(http.MethodGet, "/v2/trickle/"), Trickle(http.StatusOK, nil, []byte("abc"), 10*time.Millisecond))(next)
		next = Fault(Match(http.MethodGet, "/v2/tampered/"), Tamper(next, func(h http.Header, b []byte) []byte {
			h.Set("X-Tampered", "yes")
			return []byte("tampered")
		}))(next)
		return RewriteChallenge(func(v string) string { return RealmTo(realm.URL + "/token")(v) })(next)
	}})
	realm = NewOrigin(t, OriginOptions{TLSFrom: reg, Name: "localhost"}, TokenProxy(t, reg, func(m map[string]any) { delete(m, "expires_in") }, nil))
	tr := reg.HTTPTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(u string, auth bool) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.SetBasicAuth(alice, alicePW)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, b
	}

	// The challenge names the realm on the origin, which forwards to the
	// token server and drops expires_in.
	resp, _ := get(reg.URL+"/v2/", false)
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `realm="`+realm.URL+`/token"`) {
		t.Fatalf("challenge %q does not name the origin's realm", ch)
	}
	_, body := get(realm.URL+"/token?service="+Service+"&scope=repository:app:pull", true)
	var tok map[string]any
	if err := json.Unmarshal(body, &tok); err != nil || tok["token"] == nil || tok["expires_in"] != nil {
		t.Fatalf("token through the proxy: %s (%v)", body, err)
	}
	if !realm.Requests.SawSecret(alicePW) || len(reg.TokenRequests.All()) != 1 {
		t.Error("the origin or the token server did not record the token request")
	}

	if resp, _ := get(reg.URL+"/v2/limited/manifests/1", false); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("first request: %s, Retry-After %q; want 429 with a date", resp.Status, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(reg.URL+"/v2/limited/manifests/1", false); resp.StatusCode == http.StatusTooManyRequests {
		t.Error("the second request was limited too")
	}
	if all := stamps.All(); len(all) != 2 || !all[0].Faulted || all[1].Faulted {
		t.Errorf("stamps %+v", all)
	}

	if resp, b := get(reg.URL+"/v2/endless/manifests/1", false); resp.StatusCode != http.StatusNotFound || len(b) != 1<<20 {
		t.Errorf("endless: %s, %d bytes read", resp.Status, len(b))
	}
	if _, b := get(reg.URL+"/v2/trickle/manifests/1", false); string(b) != "abc" {
		t.Errorf("trickle: %q", b)
	}
	if resp, b := get(reg.URL+"/v2/tampered/manifests/1", false); string(b) != "tampered" || resp.Header.Get("X-Tampered") != "yes" {
		t.Errorf("tampered: %q %v", b, resp.Header)
	}
	if written.Load() < 1<<20 {
		t.Errorf("the endless body counted %d bytes", written.Load())
	}
}

// TestRefusingProxy: a client told to use the proxy reaches nothing through
// it, and the proxy records what was attempted, credentials included.
func TestRefusingProxy(t *testing.T) {
	p := NewRefusingProxy(t)
	proxyURL, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/latest/meta-data/", nil)
	req.SetBasicAuth(alice, alicePW)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("plain request through the proxy: %s", resp.Status)
	}
	if _, err := (&http.Client{Transport: tr}).Get("https://metadata.google.internal/"); err == nil {
		t.Error("a CONNECT through the proxy succeeded")
	}
	if got := strings.Join(p.Targets(), " "); got != "169.254.169.254 metadata.google.internal:443" {
		t.Errorf("targets %q", got)
	}
	if !p.Requests.SawSecret(alicePW) {
		t.Error("the proxy did not record the credentials sent through it")
	}
}
