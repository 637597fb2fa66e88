package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAccHardening_ContentIsChecked: what is believed. A manifest by digest
// is hashed whatever the Content-Type and whatever Docker-Content-Digest
// says; a tag's body is held to Docker-Content-Digest; a malformed digest is
// refused; an index entry and a config are held to their digests; manifests
// over 4 MiB, and token and error bodies of any length, are refused or cut
// off without being read whole; error bodies are shown truncated and without
// control characters.
func TestAccHardening_ContentIsChecked(t *testing.T) {
	secrets, ok := hardeningSetup(t)
	if !ok {
		return
	}
	var cl, chunked, errBody, tokenBody, pingBody registrytest.Counter
	var rc *registrytest.Registry
	var a, b pushed
	longHTML := []byte("<html><body>" + strings.Repeat("x", 60<<10) + "</body></html>")
	forged := func(contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {contentType}, "Docker-Content-Digest": {a.digest}}, b.raw)(w, r)
		}
	}
	rules := map[string]http.HandlerFunc{
		// By digest, another manifest's bytes, under a forged header and
		// every kind of Content-Type.
		"/v2/content/ct-oci/manifests/sha256:":    forged("application/vnd.oci.image.manifest.v1+json"),
		"/v2/content/ct-docker/manifests/sha256:": forged("application/vnd.docker.distribution.manifest.v2+json"),
		"/v2/content/ct-index/manifests/sha256:":  forged("application/vnd.oci.image.index.v1+json"),
		"/v2/content/ct-octet/manifests/sha256:":  forged("application/octet-stream"),
		"/v2/content/bigcl/manifests/": registrytest.Endless(http.StatusOK,
			http.Header{"Content-Type": {"application/vnd.oci.image.manifest.v1+json"}, "Content-Length": {fmt.Sprint(5 << 20)}}, &cl),
		"/v2/content/bigchunked/manifests/": registrytest.Endless(http.StatusOK, http.Header{"Content-Type": {"application/vnd.oci.image.manifest.v1+json"}}, &chunked),
		"/v2/content/bigerror/manifests/":   registrytest.Endless(http.StatusNotFound, http.Header{"Content-Type": {"text/html"}}, &errBody),
		"/v2/content/longerror/manifests/":  registrytest.Serve(http.StatusNotFound, http.Header{"Content-Type": {"text/html"}}, longHTML),
		"/v2/content/ctrl/manifests/": registrytest.Serve(http.StatusNotFound, http.Header{"Content-Type": {"text/plain"}},
			[]byte("\x1b]0;owned\x07\x1b[2Jgone")),
	}
	rc = registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		tampered := map[string]http.HandlerFunc{
			// The registry's header, another manifest's body.
			"/v2/content/tagbody/manifests/": registrytest.Tamper(next, func(_ http.Header, _ []byte) []byte { return b.raw }),
			"/v2/content/badheader/manifests/": registrytest.Tamper(next, func(h http.Header, body []byte) []byte {
				h.Set("Docker-Content-Digest", "sha256:not-a-digest")
				return body
			}),
			// An index entry's manifest, one byte longer.
			"/v2/content/index/manifests/sha256:": registrytest.Tamper(next, func(_ http.Header, body []byte) []byte { return append(body, ' ') }),
			// A config of the same length, for another architecture.
			"/v2/content/config/blobs/": registrytest.Tamper(next, func(_ http.Header, body []byte) []byte {
				return bytes.Replace(body, []byte(`"amd64"`), []byte(`"arm64"`), 1)
			}),
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for prefix, h := range rules {
				if strings.HasPrefix(r.URL.Path, prefix) {
					h(w, r)
					return
				}
			}
			for prefix, h := range tampered {
				if strings.HasPrefix(r.URL.Path, prefix) {
					h(w, r)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}})
	// The ct-* repositories are answered by the rules above alone.
	a, _ = push(t, rc, "content/tagbody:1")
	push(t, rc, "content/badheader:1")
	b, _ = push(t, rc, "content/b:1")
	if _, cfg := push(t, rc, "content/config:1"); !bytes.Contains(cfg, []byte(`"amd64"`)) {
		t.Fatalf("the config has no \"amd64\" to tamper with: %s", cfg)
	}
	if _, err := rc.PushIndex(context.Background(), "content/index:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}); err != nil {
		t.Fatal(err)
	}

	// A token server whose answer never ends.
	tokenServer := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"},
		registrytest.Endless(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, &tokenBody))
	rct := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{hardUser: hardPass},
		Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(tokenServer.URL + "/token"))})
	push(t, rct, "content/token:1")
	// A registry whose 401 to the ping never ends: the challenge is in the
	// headers, and the body must not be read whole to get it.
	var rcp *registrytest.Registry
	rcp = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{hardUser: hardPass},
		Wrap: registrytest.Fault(exactPath(http.MethodGet, "/v2/"), func(w http.ResponseWriter, r *http.Request) {
			registrytest.Endless(http.StatusUnauthorized, http.Header{
				"Content-Type":     {"application/json"},
				"Www-Authenticate": {`Bearer realm="` + rcp.TokenURL + `",service="` + registrytest.Service + `"`},
			}, &pingBody)(w, r)
		})})
	ping, _ := push(t, rcp, "content/ping:1")

	settings := noCache + "  timeout = \"20s\"\n"
	blocks := []string{
		registryBlock(append([]string{"address", q(rct.Host)}, hardCreds...)...),
		registryBlock(append([]string{"address", q(rcp.Host)}, hardCreds...)...),
	}
	refs := map[string]string{"token": rct.Host + "/content/token:1"}
	for _, name := range []string{"ct-oci", "ct-docker", "ct-index", "ct-octet"} {
		refs[strings.ReplaceAll(name, "-", "_")] = rc.Host + "/content/" + name + "@" + a.digest
	}
	for _, name := range []string{"tagbody", "badheader", "config", "bigcl", "bigchunked", "bigerror", "longerror", "ctrl"} {
		refs[name] = rc.Host + "/content/" + name + ":1"
	}
	f := &failures{secrets: secrets}
	want := []diagWant{
		expectDiag("content/tagbody", `Manifest Digest Mismatch`, `but the registry's Docker-Content-Digest header is `+a.digest),
		expectDiag("content/badheader", `Malformed Registry Response`, `Docker-Content-Digest header is not a digest`),
		expectDiag("content/index", `Manifest Digest Mismatch`, `index entry sha256:[0-9a-f]{64} \(linux/arm64\)`),
		expectDiag("content/config", `Manifest Digest Mismatch`, `the blob served hashes to`),
		expectDiag("content/bigcl", `Malformed Registry Response`, `manifest is 5242880 bytes, more than the 4194304 bytes`),
		expectDiag("content/bigchunked", `Malformed Registry Response`, `manifest is more than the 4194304 bytes`),
		// Cut off, the endless error body still says what the status says.
		expectDiag("content/bigerror", `Image Not Found`, `HTTP 404`),
		{repository: "content/longerror", patterns: []string{`Image Not Found`, `more bytes not shown`}, maxLen: 3000},
		// A body's control characters could rewrite the terminal.
		{repository: "content/ctrl", patterns: []string{`Image Not Found`, `gone`}, absent: []string{"\x1b", "\x07"}},
		expectDiag("content/token", `Malformed Registry Response`, `byte limit`),
	}
	for _, name := range []string{"ct-oci", "ct-docker", "ct-index", "ct-octet"} {
		want = append(want, expectDiag("content/"+name, `Manifest Digest Mismatch`, `the manifest served hashes to `+b.digest+`, but the digest requested is `+a.digest))
	}
	var config strings.Builder
	config.WriteString(providerConfig(settings, blocks...))
	for name, ref := range refs {
		config.WriteString(manifestWithPlatform(name, ref, ""))
	}
	config.WriteString(manifestWithPlatform("index", rc.Host+"/content/index:1", "linux/arm64"))
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		for name, c := range map[string]*registrytest.Counter{"a manifest announced as 5 MiB": &cl, "an endless manifest": &chunked,
			"an endless error body": &errBody, "an endless token body": &tokenBody, "an endless ping body": &pingBody} {
			n := c.Load()
			if n > maxWritten || (n == 0 && !t.Failed()) {
				t.Errorf("the server of %s wrote %d bytes before the client stopped reading; want some, and at most %d", name, n, maxWritten)
			}
			t.Logf("the server of %s wrote %d KiB before the client stopped reading", name, n>>10)
		}
	}()
	hardeningCase(t, f,
		f.step(config.String(), want...),
		okStep(secrets, providerConfig(settings, blocks...)+manifestConfig(map[string]string{"ping": rcp.Host + "/content/ping:1"}), digestIs("ping", ping.digest)),
	)
}

// maxWritten bounds what a server streaming an endless body may have
// written before the client stopped reading: the limits are 64 KiB to 4 MiB,
// and the rest is what socket buffers hold. A client that read such a body
// whole would read until the timeout, gigabytes on loopback.
const maxWritten = 64 << 20
