package registrytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fetchToken gets a pull token for repo from r's token server as alice.
func fetchToken(t *testing.T, r *Registry, client *http.Client, repo string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.TokenURL+"?service="+Service+"&scope=repository:"+repo+":pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(alice, alicePW)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %v", err)
	}
	return tok.Token
}

// TestStrictTokenExpiry: with StrictTokenExpiry a token is refused from the
// second of its exp, with an invalid_token challenge; without it,
// distribution's leeway accepts it still. TokenExpiry reads that exp.
func TestStrictTokenExpiry(t *testing.T) {
	strict, _, _ := newTokenRegistry(t, Options{TokenTTL: 2 * time.Second, StrictTokenExpiry: true})
	lenient, _, _ := newTokenRegistry(t, Options{TokenTTL: 2 * time.Second})
	var exp time.Time
	get := func(r *Registry, tok string) *http.Response {
		t.Helper()
		tr := r.HTTPTransport()
		t.Cleanup(tr.CloseIdleConnections)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, r.URL+"/v2/private/manifests/1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tokens := map[*Registry]string{}
	for _, r := range []*Registry{strict, lenient} {
		tr := r.HTTPTransport()
		t.Cleanup(tr.CloseIdleConnections)
		tokens[r] = fetchToken(t, r, &http.Client{Transport: tr}, "private")
		var ok bool
		if exp, ok = TokenExpiry("Bearer " + tokens[r]); !ok || time.Until(exp) > 2*time.Second {
			t.Fatalf("TokenExpiry: %s, %v; want within 2 s", exp, ok)
		}
		if resp := get(r, tokens[r]); resp.StatusCode != http.StatusOK && time.Now().Before(exp) {
			t.Fatalf("a fresh token: status %d", resp.StatusCode)
		}
	}
	time.Sleep(time.Until(exp) + 100*time.Millisecond)
	resp := get(strict, tokens[strict])
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("strict, after exp: status %d, challenge %q; want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := get(lenient, tokens[lenient]); resp.StatusCode != http.StatusOK {
		t.Errorf("without StrictTokenExpiry, after exp: status %d, want 200 (distribution's leeway)", resp.StatusCode)
	}
	if _, ok := TokenExpiry("Basic YTpi"); ok {
		t.Error("TokenExpiry read a Basic credential")
	}
}
