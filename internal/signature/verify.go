package signature

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// Source fetches what signatures are read from; *registry.Client is one.
type Source interface {
	Referrers(ctx context.Context, ref imageref.Reference, artifactType string) (*registry.Referrers, error)
	Manifest(ctx context.Context, ref imageref.Reference) (*registry.Manifest, error)
	Blob(ctx context.Context, ref imageref.Reference, d registry.Descriptor, limit int64) ([]byte, error)
}

// Signature is a signature that verified.
type Signature struct {
	// Format is FormatBundle or FormatSimpleSigning.
	Format string
	// Digest is the digest of the signature's own manifest: the bundle
	// referrer, or the .sig tag's manifest.
	Digest string
	// KeyID is the ID of the key it verified with; "" for keyless.
	KeyID string
	// Identity and Issuer are the certificate's subject alternative name
	// and OIDC issuer; "" for keys.
	Identity, Issuer string
	// IntegratedTime is when a verified transparency log entry says it was
	// logged; zero without one.
	IntegratedTime time.Time
}

// Result is what Verify found for an image.
type Result struct {
	// Digest is the digest the reference resolved to: what was verified.
	Digest string
	// Verified are the signatures that verified.
	Verified []Signature
	// Failed are the signatures found that did not, with why.
	Failed []Failure
}

// Verify resolves ref and verifies its signatures against p: first the
// Sigstore bundles among its referrers and, only when none of them
// verifies, the simple signatures in its .sig tag (so that a verified read
// costs what cosign v3's format costs). Registry failures are returned as
// the registry's errors; signatures that fail are listed in the result.
func Verify(ctx context.Context, src Source, ref imageref.Reference, p *Policy) (*Result, error) {
	refs, err := src.Referrers(ctx, ref, BundleArtifactType)
	if err != nil {
		return nil, err
	}
	subject := ref
	subject.Digest = refs.Subject.Digest
	res := &Result{Digest: refs.Subject.Digest}
	for _, r := range refs.Referrers {
		if pt, ok := r.Annotations[predicateTypeAnnotation]; ok && pt != SignPredicateType {
			continue // an attestation, told by its manifest without reading it
		}
		layer, ok := bundleLayer(r)
		if !ok {
			res.fail(FormatBundle, r.Digest, failf(ReasonMalformed, "its manifest has no layer of media type %s", BundleArtifactType))
			continue
		}
		raw, err := src.Blob(ctx, subject, layer, maxSignatureBlob)
		if err != nil {
			return nil, err
		}
		b, f := parseBundle(raw, subject.Digest)
		if f != nil {
			if f.Reason != ReasonNotSignature {
				res.fail(FormatBundle, r.Digest, f)
			}
			continue
		}
		res.check(p, FormatBundle, r.Digest, b, subject.Digest, nil)
	}
	if len(res.Verified) > 0 {
		return res, nil
	}
	if err := res.simpleSignatures(ctx, src, subject, p); err != nil {
		return nil, err
	}
	return res, nil
}

func bundleLayer(r registry.Referrer) (registry.Descriptor, bool) {
	for _, l := range r.Layers {
		if l.MediaType == BundleArtifactType {
			return l, true
		}
	}
	return registry.Descriptor{}, false
}

// simpleSignatures verifies the signatures in subject's .sig tag, if it has
// one.
func (res *Result) simpleSignatures(ctx context.Context, src Source, subject imageref.Reference, p *Policy) error {
	tag := subject
	tag.Tag, tag.Digest = SigTag(subject.Digest), ""
	m, err := src.Manifest(ctx, tag)
	var rerr *registry.Error
	if errors.As(err, &rerr) && rerr.Class == registry.ClassNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	layers, err := manifestLayers(m)
	if err != nil {
		res.fail(FormatSimpleSigning, m.Digest, failf(ReasonMalformed, "%v", err))
		return nil
	}
	for _, l := range layers {
		if l.MediaType != SimpleSigningMediaType {
			continue
		}
		payload, err := src.Blob(ctx, subject, l, maxSignatureBlob)
		if err != nil {
			return err
		}
		b, f := simpleSignature(payload, l.Annotations, subject.Digest)
		if f != nil {
			res.fail(FormatSimpleSigning, m.Digest, f)
			continue
		}
		res.check(p, FormatSimpleSigning, m.Digest, b, subject.Digest, payload)
	}
	return nil
}

func (res *Result) fail(format, dgst string, f *Failure) {
	f.Format, f.Digest = format, dgst
	res.Failed = append(res.Failed, *f)
}

// check verifies one signature, read as a bundle, and records the outcome.
// payload is what a message signature (simple signing) is over; nil for a
// DSSE statement, which binds subject itself.
func (res *Result) check(p *Policy, format, dgst string, b *bundle.Bundle, subject string, payload []byte) {
	sig, f := p.verify(b, subject, payload)
	if f != nil {
		res.fail(format, dgst, f)
		return
	}
	sig.Format, sig.Digest = format, dgst
	res.Verified = append(res.Verified, *sig)
}

// verify checks a signature, read as a bundle, against the policy.
func (p *Policy) verify(b *bundle.Bundle, subject string, payload []byte) (*Signature, *Failure) {
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, failf(ReasonMalformed, "its verification material is unusable: %v", err)
	}
	entries, err := b.TlogEntries()
	if err != nil {
		return nil, failf(ReasonMalformed, "its log entries are unusable: %v", err)
	}
	if p.RequireTlog && len(entries) == 0 {
		return nil, failf(ReasonNoLogEntry, "it has no transparency log entry, and require_tlog is set")
	}
	artifact, err := artifactPolicy(subject, payload)
	if err != nil {
		return nil, failf(ReasonMalformed, "%v", err)
	}
	if p.Keyless() {
		return p.verifyKeyless(b, vc, len(entries) > 0, artifact)
	}
	return p.verifyKey(b, vc, len(entries) > 0, artifact, payload)
}

// artifactPolicy is what the signature must be over: the payload of a
// message signature, else the subject digest, which a DSSE statement names.
func artifactPolicy(subject string, payload []byte) (verify.ArtifactPolicyOption, error) {
	if payload != nil {
		return verify.WithArtifact(bytes.NewReader(payload)), nil
	}
	if err := digest.Validate(subject); err != nil {
		return nil, err
	}
	algorithm, encoded, _ := strings.Cut(subject, ":")
	raw, err := hexBytes(encoded)
	if err != nil {
		return nil, err
	}
	return verify.WithArtifactDigest(algorithm, raw), nil
}

func (p *Policy) verifyKey(b *bundle.Bundle, vc verify.VerificationContent, hasTlog bool, artifact verify.ArtifactPolicyOption, payload []byte) (*Signature, *Failure) {
	if vc.Certificate() != nil {
		return nil, failf(ReasonKeyless, "it is signed keyless, with a certificate for %s", certificateName(vc))
	}
	sc, err := b.SignatureContent()
	if err != nil {
		return nil, failf(ReasonMalformed, "its signature is unusable: %v", err)
	}
	key, tm := p.signingKey(sc, vc, payload)
	if key == nil {
		return nil, failf(ReasonWrongKey, "it verifies with none of the %d public key(s) given", len(p.Keys))
	}
	// Its log entry, if it has one, counts where a trusted root can verify
	// it; a key signature needs no timestamp otherwise.
	opts := []verify.VerifierOption{verify.WithNoObserverTimestamps()}
	if hasTlog && p.TrustedRoot != nil {
		opts = []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1)}
	} else if p.RequireTlog {
		return nil, failf(ReasonLogEntry, "its transparency log entry cannot be verified without trusted_root_json")
	}
	result, f := run(b, tm, opts, verify.NewPolicy(artifact, verify.WithKey()))
	if f != nil {
		return nil, f
	}
	return &Signature{KeyID: key.ID, IntegratedTime: logTime(result)}, nil
}

// signingKey finds the key and scheme the signature verifies with, and the
// trusted material that holds it (with the trusted root, if any).
func (p *Policy) signingKey(sc verify.SignatureContent, vc verify.VerificationContent, payload []byte) (*Key, root.TrustedMaterial) {
	for _, k := range p.Keys {
		for _, v := range k.verifiers {
			tm := p.withKey(v)
			var err error
			if payload != nil {
				err = verify.VerifySignatureWithArtifacts(sc, vc, tm, []io.Reader{bytes.NewReader(payload)})
			} else {
				err = verify.VerifySignature(sc, vc, tm)
			}
			if err == nil {
				return k, tm
			}
		}
	}
	return nil, nil
}

// withKey is the trusted material of one key scheme, whatever hint a
// signature gives (cosign's is the key's sha256, but nothing requires it),
// with the trusted root's logs.
func (p *Policy) withKey(v signature.Verifier) root.TrustedMaterial {
	key := root.NewExpiringKey(v, time.Time{}, time.Time{})
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	if p.TrustedRoot == nil {
		return keys
	}
	return root.TrustedMaterialCollection{p.TrustedRoot, keys}
}

func (p *Policy) verifyKeyless(b *bundle.Bundle, vc verify.VerificationContent, hasTlog bool, artifact verify.ArtifactPolicyOption) (*Signature, *Failure) {
	if vc.Certificate() == nil {
		return nil, failf(ReasonNotKeyless, "it is signed with a key, not a certificate")
	}
	// A short-lived certificate needs a time it was valid at: a signed
	// timestamp or a log entry. Log entries are verified where there are
	// any, and certificates carry SCTs where the root lists CT logs, as
	// cosign requires by default.
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if hasTlog || p.RequireTlog {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if len(p.TrustedRoot.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	result, f := run(b, p.TrustedRoot, opts, verify.NewPolicy(artifact, verify.WithoutIdentitiesUnsafe()))
	if f != nil {
		return nil, f
	}
	cert := result.Signature.Certificate
	sig := &Signature{Identity: cert.SubjectAlternativeName, Issuer: cert.Issuer, IntegratedTime: logTime(result)}
	if !p.Identity.Matches(sig.Identity) {
		return nil, failf(ReasonIdentity, "its certificate is for %q, not %s", sig.Identity, p.Identity)
	}
	if !p.Issuer.Matches(sig.Issuer) {
		return nil, failf(ReasonIssuer, "its certificate was issued for an identity of %q, not %s", sig.Issuer, p.Issuer)
	}
	return sig, nil
}

// run verifies b with sigstore-go.
func run(b *bundle.Bundle, tm root.TrustedMaterial, opts []verify.VerifierOption, policy verify.PolicyBuilder) (*verify.VerificationResult, *Failure) {
	v, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, failf(ReasonInvalid, "%v", err)
	}
	result, err := v.Verify(b, policy)
	if err != nil {
		return nil, classify(err)
	}
	return result, nil
}

// logTime is the integrated time of the first verified log entry.
func logTime(r *verify.VerificationResult) time.Time {
	for _, ts := range r.VerifiedTimestamps {
		if ts.Type == "Tlog" {
			return ts.Timestamp.UTC()
		}
	}
	return time.Time{}
}

func certificateName(vc verify.VerificationContent) string {
	cert := vc.Certificate()
	for _, u := range cert.URIs {
		return fmt.Sprintf("%q", u.String())
	}
	for _, e := range cert.EmailAddresses {
		return fmt.Sprintf("%q", e)
	}
	return "an identity"
}
