package registry

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
)

// FuzzParseManifest feeds manifest decoding any bytes under any Content-Type:
// it never panics; what it accepts keeps its bytes, size and digest, has a
// media type this provider reads, is never both an index and an image
// (CVE-2021-41190), and parses into a document whose digests are all valid.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`), "application/vnd.oci.image.index.v1+json")
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2},"layers":[]}`), "")
	f.Add([]byte(`{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}`), "application/vnd.docker.distribution.manifest.v1+prettyjws")
	f.Fuzz(func(t *testing.T, raw []byte, contentType string) {
		dgst := sha(string(raw))
		m, err := parseManifest(raw, dgst, contentType)
		if err != nil {
			return
		}
		if m.Digest != dgst || m.Size != int64(len(raw)) || string(m.Raw) != string(raw) {
			t.Fatalf("parseManifest changed what was served: %+v", m)
		}
		if !isManifestType(m.MediaType) {
			t.Fatalf("accepted media type %q", m.MediaType)
		}
		var fields struct {
			Manifests []json.RawMessage `json:"manifests"`
			Layers    []json.RawMessage `json:"layers"`
			Config    json.RawMessage   `json:"config"`
		}
		if json.Unmarshal(raw, &fields) == nil && len(fields.Manifests) > 0 && (len(fields.Layers) > 0 || (len(fields.Config) > 0 && string(fields.Config) != "null")) {
			t.Fatalf("accepted a document that is both an index and an image: %s", raw)
		}
		doc, err := parseDocument(m)
		if err != nil {
			return
		}
		for _, d := range append(append(doc.Layers, doc.Manifests...), derefs(doc.Config, doc.Subject)...) {
			if digest.Validate(d.Digest) != nil {
				t.Fatalf("parseDocument kept digest %q", d.Digest)
			}
			if d.Size < 0 {
				t.Fatalf("parseDocument kept size %d", d.Size)
			}
		}
	})
}

func derefs(ds ...*descriptorDoc) []descriptorDoc {
	var out []descriptorDoc
	for _, d := range ds {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out
}

// FuzzVerifyDigest: whatever the digest asked for and the registry's header
// say, verifyDigest accepts only bytes that hash to the digest asked for,
// else to the header, and returns that hash; the header alone is never
// believed.
func FuzzVerifyDigest(f *testing.F) {
	body := []byte(`{"schemaVersion":2}`)
	f.Add(body, "", "")
	f.Add(body, sha(string(body)), "")
	f.Add(body, "", sha(string(body)))
	f.Add(body, "", "sha256:"+strings.Repeat("0", 64))
	f.Add(body, sha("other"), sha(string(body)))
	f.Add(body, "", "sha512:"+strings.Repeat("0", 128))
	f.Fuzz(func(t *testing.T, raw []byte, wanted, header string) {
		got, err := verifyDigest(raw, wanted, header)
		if err != nil {
			return
		}
		hashed, herr := digest.Of(digest.Algorithm(got), raw)
		if herr != nil || hashed != got {
			t.Fatalf("verifyDigest returned %q for bytes that hash to %q", got, hashed)
		}
		switch {
		case wanted != "" && got != wanted:
			t.Fatalf("asked for %q, accepted %q", wanted, got)
		case wanted == "" && header != "" && got != header:
			t.Fatalf("the header said %q, accepted %q", header, got)
		}
	})
}

// fakeRegistry answers a ping with a fuzzed challenge and every other
// request with a token, recording where requests went and what
// credentials they carried. It never touches the network.
type fakeRegistry struct {
	challenge string
	mu        sync.Mutex
	sent      []*http.Request
}

func (f *fakeRegistry) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	if req.URL.Host == "registry.example" && req.URL.Path == "/v2/" {
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{"Www-Authenticate": {f.challenge}},
			Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	f.mu.Lock()
	f.sent = append(f.sent, req)
	f.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"token":"t"}`)), Request: req}, nil
}

// FuzzRealmChallenge: whatever WWW-Authenticate an HTTPS registry answers
// its ping with, the authentication that follows (go-containerregistry's
// challenge parsing and token exchange, over the guard) sends the password
// only over HTTPS and never to a link-local or metadata address: no request
// at all goes to plain HTTP or to such an address. ECR challenge
// recognition never panics on the challenge either.
func FuzzRealmChallenge(f *testing.F) {
	f.Add(`Bearer realm="https://auth.example/token",service="registry.example"`)
	f.Add(`Bearer realm="http://auth.example/token",service="registry.example"`)
	f.Add(`Bearer realm="https://169.254.169.254/latest/meta-data",service="x"`)
	f.Add(`Bearer realm="https://[fd00:ec2::254]/token"`)
	f.Add(`Basic realm="https://registry.example/",service="ecr.amazonaws.com"`)
	f.Add(`Bearer realm="https://registry.example/token",scope="repository:a:pull",error="invalid_token"`)
	f.Add(`Negotiate, Bearer realm="https://auth.example/token"`)
	const password = "fuzz-pw-secret"
	f.Fuzz(func(t *testing.T, challenge string) {
		if strings.ContainsAny(challenge, "\r\n") {
			return
		}
		fake := &fakeRegistry{challenge: challenge}
		reg, err := name.NewRegistry("registry.example")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if ch, err := transport.Ping(ctx, reg, newGuardTransport(fake)); err == nil {
			ecr.IsChallenge(ch.Scheme, ch.Parameters)
		}
		_, _ = transport.NewWithContext(ctx, reg, &authn.Basic{Username: "user", Password: password}, newGuardTransport(fake), []string{"repository:a:pull"})
		fake.mu.Lock()
		defer fake.mu.Unlock()
		for _, req := range fake.sent {
			if req.URL.Scheme != "https" {
				t.Fatalf("a request went to %s", req.URL.Redacted())
			}
			if addr, ok := parseHostIP(req.URL.Hostname()); ok && forbiddenAddr(addr) != "" {
				t.Fatalf("a request went to %s", req.URL.Redacted())
			}
		}
	})
}
