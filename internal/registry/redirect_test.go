package registry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestRedirectChainRestoresNoCredentials: a manifest redirected from the
// registry (a, Basic credentials on every request) to another origin (b),
// on within b, and to a third (c) reads, and neither b nor c ever receives
// the credentials: they are not restored further down the chain. (All on
// 127.0.0.1, so net/http, which compares host names without ports, would
// copy them along.)
func TestRedirectChainRestoresNoCredentials(t *testing.T) {
	ctx := context.Background()
	var manifest []byte
	var header http.Header
	c := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registrytest.Serve(http.StatusOK, header, manifest)(w, r)
	}))
	b := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/1" {
			http.Redirect(w, r, "/2", http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, c.URL+"/manifest", http.StatusTemporaryRedirect)
	}))
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{user: password},
		Wrap: registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/chain/app/manifests/"),
			registrytest.Redirect(http.StatusTemporaryRedirect, func(*http.Request) string { return b.URL + "/1" }))})
	img, err := reg.PushImage(ctx, "chain/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if manifest, err = img.RawManifest(); err != nil {
		t.Fatal(err)
	}
	dgst, _ := img.Digest()
	mt, _ := img.MediaType()
	header = http.Header{"Content-Type": {string(mt)}, "Docker-Content-Digest": {dgst.String()}}

	cl := newClient(t, reg, auth.Credentials{Username: user, Password: password})
	m, err := cl.Manifest(ctx, mustParse(t, reg.Host+"/chain/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest != dgst.String() {
		t.Errorf("read %s, want %s", m.Digest, dgst)
	}
	if !reg.Requests.SawSecret(password) {
		t.Error("the registry never received the credentials: the test proves nothing")
	}
	for name, o := range map[string]*registrytest.Origin{"b": b, "c": c} {
		all := o.Requests.All()
		if len(all) == 0 {
			t.Errorf("%s received nothing: the chain was not followed", name)
		}
		for _, r := range all {
			if r.HasAuthorization || o.Requests.SawSecret(password) {
				t.Errorf("%s received %s credentials at %s", name, r.AuthScheme, r.Path)
			}
		}
	}
	if got := len(b.Requests.All()); got != 2 {
		t.Errorf("b received %d requests, want 2 (/1 and /2)", got)
	}
	if strings.Contains(c.URL, b.URL) {
		t.Fatal("b and c are one origin")
	}
}

// TestGuardRestoresNoCredentialsDownAChain: with a careless layer above that
// adds the registry's credentials to every hop, a chain a → b/1 → b/2 → c
// still delivers them to a only: each hop's are stripped because an earlier
// hop of the chain carried them, not only the one just before (which, once
// stripped, carries nothing).
func TestGuardRestoresNoCredentialsDownAChain(t *testing.T) {
	seen := map[string][]string{}
	var mu sync.Mutex
	record := func(name string, h http.HandlerFunc) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = append(seen[name], r.URL.Path+" "+r.Header.Get("Authorization"))
			mu.Unlock()
			h(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	c := record("c", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "content") })
	b := record("b", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/1" {
			http.Redirect(w, r, "/2", http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, c.URL+"/blob", http.StatusTemporaryRedirect)
	})
	a := record("a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.URL+"/1", http.StatusTemporaryRedirect)
	})
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	resp, err := (&http.Client{Transport: naiveAuthTransport{inner: newGuardTransport(base)}}).Get(a.URL + "/v2/x/blobs/y")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(seen["a"]) != 1 || !strings.HasSuffix(seen["a"][0], "Basic c2VjcmV0OnNlY3JldA==") {
		t.Errorf("a saw %q, want its credentials once", seen["a"])
	}
	if len(seen["b"]) != 2 || len(seen["c"]) != 1 {
		t.Fatalf("b saw %q and c %q: the chain was not followed", seen["b"], seen["c"])
	}
	for _, name := range []string{"b", "c"} {
		for _, s := range seen[name] {
			if !strings.HasSuffix(s, " ") {
				t.Errorf("%s received credentials: %q", name, s)
			}
		}
	}
}
