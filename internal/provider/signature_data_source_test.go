package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature/signaturetest"
)

const (
	ciIdentity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	ciIssuer   = "https://token.actions.githubusercontent.com"
)

// signingFixture is a registry of images signed in the test, and the files
// a configuration reads keys and the trusted root from.
type signingFixture struct {
	t        *testing.T
	reg      *registrytest.Registry
	digests  map[string]string // repository → digest of its :1
	key      *signaturetest.Key
	keyFile  string // the key's public PEM
	otherKey string // another key's public PEM
	rootFile string // the virtual Sigstore's trusted root
	sigstore *signaturetest.Sigstore
}

func newSigningFixture(t *testing.T, opts registrytest.Options) *signingFixture {
	t.Helper()
	f := &signingFixture{t: t, reg: registrytest.New(t, opts), digests: map[string]string{}}
	var err error
	if f.key, err = signaturetest.NewKey(0); err != nil {
		t.Fatal(err)
	}
	other, err := signaturetest.NewKey(0)
	if err != nil {
		t.Fatal(err)
	}
	if f.sigstore, err = signaturetest.NewSigstore(); err != nil {
		t.Fatal(err)
	}
	root, err := f.sigstore.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f.keyFile, f.otherKey, f.rootFile = filepath.Join(dir, "cosign.pub"), filepath.Join(dir, "other.pub"), filepath.Join(dir, "trusted_root.json")
	for path, content := range map[string]string{f.keyFile: f.key.PublicPEM, f.otherKey: other.PublicPEM, f.rootFile: root} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *signingFixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// image pushes repo:1 and returns its digest.
func (f *signingFixture) image(repo string) string {
	f.t.Helper()
	img, err := f.reg.PushImage(context.Background(), repo+":1")
	f.must(err)
	h, _ := img.Digest()
	f.digests[repo] = h.String()
	return h.String()
}

func (f *signingFixture) ref(repo string) string { return f.reg.Host + "/" + repo + ":1" }

// signatureConfig renders an imageinfo_signature data source from raw HCL
// lines.
func signatureConfig(name, ref string, lines ...string) string {
	return fmt.Sprintf("data \"imageinfo_signature\" %q {\n  reference = %q\n  %s\n}\n", name, ref, strings.Join(lines, "\n  "))
}

func keysLine(files ...string) string {
	var s []string
	for _, f := range files {
		s = append(s, fmt.Sprintf("file(%q)", f))
	}
	return "public_keys = [" + strings.Join(s, ", ") + "]"
}

func keylessBlock(identity, issuer, rootFile string) string {
	return fmt.Sprintf("keyless {\n    identity = %q\n    issuer = %q\n    trusted_root_json = file(%q)\n  }", identity, issuer, rootFile)
}

// TestAccSignature verifies signatures through Terraform: key signatures in
// both formats with their key (on a registry without the referrers API, so
// through the fallback tag) and keyless bundles from the virtual Sigstore
// for their identity and issuer (on one with the API); and each way a read
// fails, with the reason named in the diagnostic.
func TestAccSignature(t *testing.T) {
	ctx := context.Background()
	keys := newSigningFixture(t, registrytest.Options{})
	bundled := keys.image("signed/bundle")
	b, err := keys.key.KeyBundle(bundled)
	keys.must(err)
	bundleSig, err := signaturetest.PushBundle(ctx, keys.reg, "signed/bundle", bundled, b)
	keys.must(err)

	simple := keys.image("signed/simple")
	layer, err := keys.key.SimpleSignature(signaturetest.SimplePayload(keys.reg.Host+"/signed/simple", simple))
	keys.must(err)
	simpleSig, err := signaturetest.PushSimpleSignatures(ctx, keys.reg, "signed/simple", simple, layer)
	keys.must(err)

	keys.image("unsigned/app")
	moved := keys.image("moved/app")
	b, err = keys.key.KeyBundle(bundled) // a signature of another image
	keys.must(err)
	_, err = signaturetest.PushBundle(ctx, keys.reg, "moved/app", moved, b)
	keys.must(err)

	keyless := newSigningFixture(t, registrytest.Options{Referrers: true})
	ciImage := keyless.image("ci/app")
	b, err = keyless.sigstore.KeylessBundle(ciIdentity, ciIssuer, ciImage)
	keyless.must(err)
	ciSig, err := signaturetest.PushBundle(ctx, keyless.reg, "ci/app", ciImage, b)
	keyless.must(err)

	fail := func(config, pattern string) resource.TestStep {
		return resource.TestStep{Config: providerConfig("") + config, ExpectError: wrapped(pattern)}
	}
	sha := regexp.QuoteMeta
	at := tfjsonpath.New[string]
	signed := func(name, format, dgst string, attrs map[string]knownvalue.Check) statecheck.StateCheck {
		want := map[string]knownvalue.Check{"format": knownvalue.StringExact(format), "digest": knownvalue.StringExact(dgst)}
		for k, v := range attrs {
			want[k] = v
		}
		return statecheck.ExpectKnownValue("data.imageinfo_signature."+name, at("signatures"),
			knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(want)}))
	}
	keyID := knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			// Found at validate time.
			fail(signatureConfig("x", keys.ref("signed/bundle"), `public_keys = ["not a key"]`),
				`Invalid Public Key.*not a public key signatures can be verified with: it is not PEM`),
			fail(signatureConfig("x", keys.ref("signed/bundle"), `keyless {
    identity = "a@b"
    issuer = "c"
    trusted_root_json = "{}"
  }`), `Invalid Trusted Root.*not a Sigstore trusted root`),
			fail(signatureConfig("x", keys.ref("signed/bundle")), `Invalid Signature Policy.*Give public_keys .* or a keyless block`),
			fail(signatureConfig("x", keys.ref("signed/bundle"), keysLine(keys.keyFile), keylessBlock("a", "b", keys.rootFile)),
				`Give either public_keys or a keyless block, not both`),
			fail(signatureConfig("x", keys.ref("signed/bundle"), keysLine(keys.keyFile), "require_tlog = true"),
				`require_tlog needs trusted_root_json`),
			fail(signatureConfig("x", keys.ref("signed/bundle"), keysLine(keys.keyFile), `keyless {
    identity = "a@b"
    identity_regex = "a"
    issuer = "c"
    trusted_root_json = "{}"
  }`), `Give exactly one of identity and identity_regex`),

			fail(signatureConfig("x", keys.ref("signed/bundle"), `keyless {
    identity = "a@b"
    issuer = "c"
  }`), `keyless block needs trusted_root_json`),

			// Found at read time.
			fail(signatureConfig("x", keys.ref("signed/bundle"), keysLine(keys.otherKey)),
				`Image Signature Not Verified.*digest "`+sha(bundled)+`".*Signatures found \(1\):.*- sigstore-bundle `+sha(bundleSig)+
					`: wrong key: it verifies with none of the 1 public key\(s\) given.*Wrong key: check that public_keys`),
			fail(signatureConfig("x", keys.ref("signed/simple"), keysLine(keys.otherKey)),
				`Image Signature Not Verified.*- cosign-simple-signing `+sha(simpleSig)+`: wrong key`),
			fail(signatureConfig("x", keys.ref("moved/app"), keysLine(keys.keyFile)),
				`Image Signature Not Verified.*sigstore-bundle sha256:[0-9a-f]{64}: digest not bound: it signs `+sha(bundled)+`, not `+sha(moved)+
					`.*the tag may have moved since it was signed`),
			fail(signatureConfig("x", keys.ref("unsigned/app"), keysLine(keys.keyFile)),
				`Image Signature Not Verified.*No signature was found.*no sha256-[0-9a-f]{64}\.sig tag`),
			fail(signatureConfig("x", keys.ref("signed/bundle"), keysLine(keys.keyFile), fmt.Sprintf("trusted_root_json = file(%q)", keys.rootFile), "require_tlog = true"),
				`sigstore-bundle `+sha(bundleSig)+`: no log entry: it has no transparency log entry.*No log entry: the signature was made without`),
			fail(signatureConfig("x", keyless.ref("ci/app"), keylessBlock("https://github.com/acme/other/.github/workflows/release.yml@refs/heads/main", ciIssuer, keyless.rootFile)),
				`sigstore-bundle `+sha(ciSig)+`: identity mismatch: its certificate is for "`+sha(ciIdentity)+`".*Identity mismatch: check identity`),
			fail(signatureConfig("x", keyless.ref("ci/app"), keysLine(keys.keyFile)),
				`sigstore-bundle `+sha(ciSig)+`: keyless signature: it is signed keyless.*verify it with a keyless block`),

			{
				Config: providerConfig("") +
					signatureConfig("bundle", keys.ref("signed/bundle"), keysLine(keys.otherKey, keys.keyFile)) +
					signatureConfig("simple", keys.ref("signed/simple"), keysLine(keys.keyFile)) +
					signatureConfig("keyless", keyless.ref("ci/app"), keylessBlock(ciIdentity, ciIssuer, keyless.rootFile)) +
					signatureConfig("keyless_regex", keyless.ref("ci/app"), fmt.Sprintf(`keyless {
    identity_regex = "^https://github\\.com/acme/app/\\.github/workflows/"
    issuer = %q
    trusted_root_json = file(%q)
  }`, ciIssuer, keyless.rootFile)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.imageinfo_signature.bundle", at("digest"), knownvalue.StringExact(bundled)),
					statecheck.ExpectKnownValue("data.imageinfo_signature.bundle", at("pinned_reference"), knownvalue.StringExact(keys.reg.Host+"/signed/bundle@"+bundled)),
					signed("bundle", "sigstore-bundle", bundleSig, map[string]knownvalue.Check{"key_id": keyID,
						"identity": knownvalue.Null(), "issuer": knownvalue.Null(), "integrated_time": knownvalue.Null()}),
					signed("simple", "cosign-simple-signing", simpleSig, map[string]knownvalue.Check{"key_id": keyID,
						"identity": knownvalue.Null(), "issuer": knownvalue.Null(), "integrated_time": knownvalue.Null()}),
					statecheck.ExpectKnownValue("data.imageinfo_signature.keyless", at("pinned_reference"), knownvalue.StringExact(keyless.reg.Host+"/ci/app@"+ciImage)),
					signed("keyless", "sigstore-bundle", ciSig, map[string]knownvalue.Check{"key_id": knownvalue.Null(),
						"identity": knownvalue.StringExact(ciIdentity), "issuer": knownvalue.StringExact(ciIssuer),
						"integrated_time": knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))}),
					statecheck.ExpectKnownValue("data.imageinfo_signature.keyless_regex", at("digest"), knownvalue.StringExact(ciImage)),
				},
			},
		},
	})
}
