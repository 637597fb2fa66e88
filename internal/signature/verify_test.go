package signature_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature/signaturetest"
)

const (
	githubIssuer   = "https://token.actions.githubusercontent.com"
	workflow       = "builder@example.com"
	otherWorkflow  = "intruder@example.com"
	attestPredType = "https://slsa.dev/provenance/v1"
)

type fixture struct {
	t       *testing.T
	reg     *registrytest.Registry
	subject string // digest of app:1
	other   string // digest of app:2
}

func newFixture(t *testing.T, opts registrytest.Options) *fixture {
	t.Helper()
	reg := registrytest.New(t, opts)
	f := &fixture{t: t, reg: reg}
	for i, tag := range []string{"app:1", "app:2"} {
		img, err := reg.PushImage(context.Background(), tag)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := img.Digest()
		if i == 0 {
			f.subject = h.String()
		} else {
			f.other = h.String()
		}
	}
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) key(alg protocommon.PublicKeyDetails) *signaturetest.Key {
	f.t.Helper()
	k, err := signaturetest.NewKey(alg)
	f.must(err)
	return k
}

func (f *fixture) pushKeyBundle(k *signaturetest.Key, signs string) string {
	f.t.Helper()
	b, err := k.KeyBundle(signs)
	f.must(err)
	d, err := signaturetest.PushBundle(context.Background(), f.reg, "app", f.subject, b)
	f.must(err)
	return d
}

func (f *fixture) pushSimple(layers ...registrytest.Blob) string {
	f.t.Helper()
	d, err := signaturetest.PushSimpleSignatures(context.Background(), f.reg, "app", f.subject, layers...)
	f.must(err)
	return d
}

func (f *fixture) simpleLayer(k *signaturetest.Key, signs string) registrytest.Blob {
	f.t.Helper()
	l, err := k.SimpleSignature(signaturetest.SimplePayload(f.reg.Host+"/app", signs))
	f.must(err)
	return l
}

func (f *fixture) verify(p *signature.Policy) *signature.Result {
	f.t.Helper()
	c := registry.New(registry.Options{Keychain: auth.Keychain(auth.NewStatic(nil))})
	f.t.Cleanup(c.Close)
	return f.verifyWith(c, p)
}

func (f *fixture) verifyWith(c *registry.Client, p *signature.Policy) *signature.Result {
	f.t.Helper()
	ref, err := imageref.Parse(f.reg.Host + "/app:1")
	f.must(err)
	res, err := signature.Verify(context.Background(), c, ref, p)
	f.must(err)
	if res.Digest != f.subject {
		f.t.Fatalf("verified %s, want the digest of app:1 %s", res.Digest, f.subject)
	}
	return res
}

func keyPolicy(t *testing.T, keys ...*signaturetest.Key) *signature.Policy {
	t.Helper()
	p := &signature.Policy{}
	for _, k := range keys {
		pk, err := signature.ParsePublicKey(k.PublicPEM)
		if err != nil {
			t.Fatal(err)
		}
		p.Keys = append(p.Keys, pk)
	}
	return p
}

func keylessPolicy(t *testing.T, rootJSON, identity, issuer string) *signature.Policy {
	t.Helper()
	tr, err := signature.ParseTrustedRoot(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := signature.NewMatcher(identity, "")
	iss, _ := signature.NewMatcher(issuer, "")
	return &signature.Policy{Identity: &id, Issuer: &iss, TrustedRoot: tr}
}

// wantFailures checks that nothing verified and that the failures have
// these reasons, in order.
func wantFailures(t *testing.T, res *signature.Result, reasons ...signature.Reason) {
	t.Helper()
	if len(res.Verified) != 0 {
		t.Fatalf("verified %+v, want nothing verified", res.Verified)
	}
	var got []signature.Reason
	for _, f := range res.Failed {
		got = append(got, f.Reason)
	}
	if strings.Join(reasonStrings(got), ",") != strings.Join(reasonStrings(reasons), ",") {
		t.Fatalf("failures %+v, want reasons %v", res.Failed, reasons)
	}
}

func reasonStrings(rs []signature.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// TestKeySignatures: a key signature verifies with its key in both formats,
// on registries with and without the referrers API, and fails with another
// key and for another digest; an unsigned image has nothing to list.
func TestKeySignatures(t *testing.T) {
	for _, api := range []bool{true, false} {
		f := newFixture(t, registrytest.Options{Referrers: api})
		k, other := f.key(0), f.key(0)
		wantFailures(t, f.verify(keyPolicy(t, k))) // unsigned

		bundle := f.pushKeyBundle(k, f.subject)
		res := f.verify(keyPolicy(t, other, k))
		pk, _ := signature.ParsePublicKey(k.PublicPEM)
		if len(res.Verified) != 1 || res.Verified[0].Format != signature.FormatBundle || res.Verified[0].Digest != bundle ||
			res.Verified[0].KeyID != pk.ID || !res.Verified[0].IntegratedTime.IsZero() {
			t.Fatalf("api %v: verified %+v, want the bundle %s with key %s and no log time", api, res.Verified, bundle, pk.ID)
		}
		wantFailures(t, f.verify(keyPolicy(t, other)), signature.ReasonWrongKey)
	}
}

func TestSimpleSigning(t *testing.T) {
	for _, alg := range []protocommon.PublicKeyDetails{
		protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
		protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
		protocommon.PublicKeyDetails_PKIX_ED25519,
		protocommon.PublicKeyDetails_PKIX_ED25519_PH,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
	} {
		t.Run(alg.String(), func(t *testing.T) {
			f := newFixture(t, registrytest.Options{})
			k, other := f.key(alg), f.key(alg)
			sig := f.pushSimple(f.simpleLayer(k, f.subject))
			res := f.verify(keyPolicy(t, k))
			if len(res.Verified) != 1 || res.Verified[0].Format != signature.FormatSimpleSigning || res.Verified[0].Digest != sig {
				t.Fatalf("verified %+v, failed %+v; want the .sig manifest %s", res.Verified, res.Failed, sig)
			}
			wantFailures(t, f.verify(keyPolicy(t, other)), signature.ReasonWrongKey)
		})
	}
}

// TestDigestNotBound: signatures of another digest, attached to this one,
// do not count, in either format.
func TestDigestNotBound(t *testing.T) {
	f := newFixture(t, registrytest.Options{Referrers: true})
	k := f.key(0)
	f.pushKeyBundle(k, f.other)
	f.pushSimple(f.simpleLayer(k, f.other))
	res := f.verify(keyPolicy(t, k))
	wantFailures(t, res, signature.ReasonDigestNotBound, signature.ReasonDigestNotBound)
	if !strings.Contains(res.Failed[0].Detail, "it signs "+f.other+", not "+f.subject) {
		t.Errorf("detail %q does not name both digests", res.Failed[0].Detail)
	}
}

// TestAttestationsPassedOver: a bundle of another predicate type is an
// attestation, told by its manifest annotation (without reading it) or by
// its statement, and is neither a signature nor a failure.
func TestAttestationsPassedOver(t *testing.T) {
	f := newFixture(t, registrytest.Options{Referrers: true})
	k := f.key(0)
	b, err := k.KeyBundle(f.subject)
	f.must(err)
	_, err = f.reg.PushArtifact(context.Background(), "app", "", registrytest.Artifact{
		ArtifactType: signature.BundleArtifactType,
		Layers:       []registrytest.Blob{{MediaType: signature.BundleArtifactType, Data: b}},
		Subject:      f.subject,
		Annotations:  map[string]string{"dev.sigstore.bundle.predicateType": attestPredType},
	})
	f.must(err)
	f.reg.Requests.Reset()
	wantFailures(t, f.verify(keyPolicy(t, k)))
	if n := f.reg.Count(http.MethodGet, "/v2/app/blobs/"); n != 0 {
		t.Errorf("the attestation's bundle was read (%d blob requests)", n)
	}

	attestation, err := k.SignStatement(signaturetest.StatementOf(f.subject, attestPredType))
	f.must(err)
	_, err = signaturetest.PushBundle(context.Background(), f.reg, "app", f.subject, attestation)
	f.must(err)
	wantFailures(t, f.verify(keyPolicy(t, k)))
}

// newSigstore starts a virtual Sigstore and gives its trusted root.
func newSigstore(t *testing.T) (*signaturetest.Sigstore, string) {
	t.Helper()
	ss, err := signaturetest.NewSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	return ss, rootJSON
}

// TestKeyless: a keyless bundle (cosign v3) and a keyless simple signature
// (cosign v2) verify for their identity and issuer against the trusted root,
// with the log's integrated time, and fail for another identity, another
// issuer, a root that does not trust their certificate authority, and keys.
func TestKeyless(t *testing.T) {
	ss, rootJSON := newSigstore(t)
	stranger, _ := newSigstore(t)
	untrusted, err := ss.TrustedRootJSONWithFulcio(stranger)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{signature.FormatBundle, signature.FormatSimpleSigning} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t, registrytest.Options{Referrers: true})
			var sig string
			if format == signature.FormatBundle {
				b, err := ss.KeylessBundle(workflow, githubIssuer, f.subject)
				f.must(err)
				sig, err = signaturetest.PushBundle(context.Background(), f.reg, "app", f.subject, b)
				f.must(err)
			} else {
				l, err := ss.KeylessSimpleSignature(workflow, githubIssuer, signaturetest.SimplePayload(f.reg.Host+"/app", f.subject))
				f.must(err)
				sig = f.pushSimple(l)
			}
			res := f.verify(keylessPolicy(t, rootJSON, workflow, githubIssuer))
			if len(res.Verified) != 1 {
				t.Fatalf("verified %+v, failed %+v; want the %s signature", res.Verified, res.Failed, format)
			}
			v := res.Verified[0]
			if v.Format != format || v.Digest != sig || v.Identity != workflow || v.Issuer != githubIssuer || v.KeyID != "" ||
				v.IntegratedTime.Before(time.Now().Add(-time.Hour)) {
				t.Errorf("verified %+v, want %s %s by %s at %s with a log time", v, format, sig, workflow, githubIssuer)
			}
			regex := keylessPolicy(t, rootJSON, "", githubIssuer)
			id, _ := signature.NewMatcher("", `^builder@example\.com$`)
			regex.Identity = &id
			if res := f.verify(regex); len(res.Verified) != 1 {
				t.Errorf("identity regex: verified %+v, failed %+v", res.Verified, res.Failed)
			}
			wantFailures(t, f.verify(keylessPolicy(t, rootJSON, otherWorkflow, githubIssuer)), signature.ReasonIdentity)
			wantFailures(t, f.verify(keylessPolicy(t, rootJSON, workflow, "https://accounts.google.com")), signature.ReasonIssuer)
			wantFailures(t, f.verify(keylessPolicy(t, untrusted, workflow, githubIssuer)), signature.ReasonUntrustedChain)
			wantFailures(t, f.verify(keyPolicy(t, f.key(0))), signature.ReasonKeyless)
		})
	}
}

// TestRequireTlog: a key signature without a log entry is refused when one
// is required; a keyless policy refuses a key signature.
func TestRequireTlog(t *testing.T) {
	_, rootJSON := newSigstore(t)
	f := newFixture(t, registrytest.Options{Referrers: true})
	k := f.key(0)
	f.pushKeyBundle(k, f.subject)
	p := keyPolicy(t, k)
	p.TrustedRoot, _ = signature.ParseTrustedRoot(rootJSON)
	if res := f.verify(p); len(res.Verified) != 1 {
		t.Fatalf("with a trusted root but no requirement: verified %+v, failed %+v", res.Verified, res.Failed)
	}
	p.RequireTlog = true
	res := f.verify(p)
	wantFailures(t, res, signature.ReasonNoLogEntry)
	wantFailures(t, f.verify(keylessPolicy(t, rootJSON, workflow, githubIssuer)), signature.ReasonNotKeyless)
}

// TestVerifiedReadCost: on a cold cache a verified read adds three
// requests to the image's own (referrers or fallback tag, the signature's
// manifest, its bundle), and on a warm one a single request: the referrers
// list where the registry has the API, else one HEAD of the fallback tag
// once the run knows the registry has no API.
func TestVerifiedReadCost(t *testing.T) {
	for _, api := range []bool{true, false} {
		f := newFixture(t, registrytest.Options{Referrers: api})
		k := f.key(0)
		f.pushKeyBundle(k, f.subject)
		store, err := cache.Open(t.TempDir())
		f.must(err)
		c := registry.New(registry.Options{Keychain: auth.Keychain(auth.NewStatic(nil)), Cache: store})
		t.Cleanup(c.Close)
		// The image alone, as imageinfo_manifest would read it.
		ref, _ := imageref.Parse(f.reg.Host + "/app:1")
		_, err = c.Manifest(context.Background(), ref)
		f.must(err)

		f.reg.Requests.Reset()
		if res := f.verifyWith(c, keyPolicy(t, k)); len(res.Verified) != 1 {
			t.Fatalf("api %v: not verified: %+v", api, res.Failed)
		}
		cold := requestLines(f.reg)
		wantCold := []string{"HEAD /v2/app/manifests/1", "GET /v2/app/referrers/", "GET /v2/app/manifests/sha256:", "GET /v2/app/blobs/sha256:"}
		if !api {
			wantCold = []string{"HEAD /v2/app/manifests/1", "GET /v2/app/referrers/", "GET /v2/app/manifests/sha256-", "GET /v2/app/manifests/sha256:", "GET /v2/app/blobs/sha256:"}
		}
		checkLines(t, api, "cold", cold, wantCold)

		f.reg.Requests.Reset()
		if res := f.verifyWith(c, keyPolicy(t, k)); len(res.Verified) != 1 {
			t.Fatalf("api %v: not verified warm: %+v", api, res.Failed)
		}
		wantWarm := []string{"HEAD /v2/app/manifests/1", "GET /v2/app/referrers/"}
		if !api {
			wantWarm = []string{"HEAD /v2/app/manifests/1", "HEAD /v2/app/manifests/sha256-"}
		}
		checkLines(t, api, "warm", requestLines(f.reg), wantWarm)
	}
}

func requestLines(reg *registrytest.Registry) []string {
	var out []string
	for _, r := range reg.Requests.All() {
		if r.Path == "/v2/" {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func checkLines(t *testing.T, api bool, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("api %v, %s: requests\n  %s\nwant\n  %s", api, what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
