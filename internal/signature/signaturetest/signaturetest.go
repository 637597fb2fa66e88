// Package signaturetest signs images in tests the way cosign does, offline:
// with keys generated in the test, and keyless with sigstore-go's in-memory
// virtual Sigstore (a Fulcio CA, a Rekor log and a timestamp authority whose
// keys live in the test process). It pushes what cosign pushes (see
// ../formats.go) to a registrytest.Registry.
package signaturetest

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature"
)

// Key is a signing key generated for a test.
type Key struct {
	sign.Keypair
	// PublicPEM is the public key as cosign.pub holds it.
	PublicPEM string
}

// NewKey generates a key of the algorithm (ECDSA P-256 when unspecified).
func NewKey(alg protocommon.PublicKeyDetails) (*Key, error) {
	kp, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: alg})
	if err != nil {
		return nil, err
	}
	pub, err := kp.GetPublicKeyPem()
	if err != nil {
		return nil, err
	}
	return &Key{Keypair: kp, PublicPEM: pub}, nil
}

// Statement is cosign v3's signature statement for digest
// (cmd/cosign/cli/sign/sign.go signDigestBundle).
func Statement(digest string) []byte { return StatementOf(digest, signature.SignPredicateType) }

// StatementOf is an in-toto statement of predicateType about digest: an
// attestation, unless the type is cosign's signature predicate.
func StatementOf(digest, predicateType string) []byte {
	algorithm, encoded, _ := strings.Cut(digest, ":")
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{%q:%q}}],"predicateType":%q,"predicate":{}}`,
		algorithm, encoded, predicateType)
}

// KeyBundle signs digest with k into a bundle v0.3 without a log entry, as
// `cosign sign --key k --tlog-upload=false` does.
func (k *Key) KeyBundle(digest string) ([]byte, error) { return k.SignStatement(Statement(digest)) }

// SignStatement signs an in-toto statement with k into a bundle v0.3
// without a log entry.
func (k *Key) SignStatement(statement []byte) ([]byte, error) {
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: "application/vnd.in-toto+json"}, k.Keypair, sign.BundleOptions{})
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(pb)
}

// SimplePayload is cosign's simple-signing payload for digest in repo.
func SimplePayload(repo, digest string) []byte {
	return fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`,
		repo, digest)
}

// SimpleSignature signs payload with k and returns the layer cosign pushes
// to the .sig tag: the payload, with the base64 signature annotated.
func (k *Key) SimpleSignature(payload []byte) (registrytest.Blob, error) {
	sig, _, err := k.SignData(context.Background(), payload)
	if err != nil {
		return registrytest.Blob{}, err
	}
	return registrytest.Blob{MediaType: signature.SimpleSigningMediaType, Data: payload,
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}}, nil
}

// PushBundle pushes a bundle as cosign v3 does: a referrer of subject in
// repo (pkg/oci/remote/write.go WriteAttestationNewBundleFormat), and
// returns the referrer's digest.
func PushBundle(ctx context.Context, reg *registrytest.Registry, repo, subject string, bundleJSON []byte) (string, error) {
	return reg.PushArtifact(ctx, repo, "", registrytest.Artifact{
		ArtifactType: signature.BundleArtifactType,
		Layers:       []registrytest.Blob{{MediaType: signature.BundleArtifactType, Data: bundleJSON}},
		Subject:      subject,
		Annotations: map[string]string{
			"org.opencontainers.image.created":  time.Now().UTC().Format(time.RFC3339),
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": signature.SignPredicateType,
		},
	})
}

// PushSimpleSignatures pushes the .sig tag of subject in repo with the
// signature layers given, as cosign v1/v2 do, and returns its digest.
func PushSimpleSignatures(ctx context.Context, reg *registrytest.Registry, repo, subject string, layers ...registrytest.Blob) (string, error) {
	return reg.PushArtifact(ctx, repo, signature.SigTag(subject), registrytest.Artifact{
		Config: &registrytest.Blob{MediaType: "application/vnd.oci.image.config.v1+json",
			Data: []byte(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)},
		Layers: layers,
	})
}

// Sigstore is an in-memory Sigstore: Fulcio, Rekor and a timestamp
// authority.
type Sigstore struct {
	vs *ca.VirtualSigstore
}

// NewSigstore starts one; nothing listens anywhere.
func NewSigstore() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, err
	}
	return &Sigstore{vs: vs}, nil
}

// TrustedRootJSON is the trusted root of this Sigstore, as `cosign
// trusted-root create` would write it. It lists no CT log: the virtual
// Fulcio embeds no SCTs.
func (s *Sigstore) TrustedRootJSON() (string, error) { return s.TrustedRootJSONWithFulcio(s) }

// TrustedRootJSONWithFulcio is TrustedRootJSON with the certificate
// authority of another Sigstore: a root that trusts this one's log and
// timestamps, but not its certificates.
func (s *Sigstore) TrustedRootJSONWithFulcio(fulcio *Sigstore) (string, error) {
	// The virtual Sigstore names its log by the hex of its ID where a
	// trusted root holds the ID itself.
	logs := map[string]*root.TransparencyLog{}
	for id, l := range s.vs.RekorLogs() {
		raw, err := hex.DecodeString(id)
		if err != nil {
			return "", err
		}
		c := *l
		c.ID = raw
		logs[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, fulcio.vs.FulcioCertificateAuthorities(), nil,
		s.vs.TimestampingAuthorities(), logs)
	if err != nil {
		return "", err
	}
	b, err := tr.MarshalJSON()
	return string(b), err
}

// KeylessBundle signs digest keyless, as identity (an email SAN) at issuer,
// into a bundle v0.3 with a signed timestamp and a Rekor entry with its
// inclusion proof and promise, as `cosign sign` in CI does.
func (s *Sigstore) KeylessBundle(identity, issuer, digest string) ([]byte, error) {
	// Logged five minutes on, within the ten minutes the certificate is
	// valid from now, as ca.VirtualSigstore.Attest does.
	e, err := s.vs.AttestAtTime(identity, issuer, Statement(digest), time.Now().Add(5*time.Minute), true)
	if err != nil {
		return nil, err
	}
	p, err := s.parts(e)
	if err != nil {
		return nil, err
	}
	env := p.content.EnvelopeContent().RawEnvelope()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		return nil, err
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: p.cert.Raw},
			},
			TlogEntries: []*protorekor.TransparencyLogEntry{p.entry},
			TimestampVerificationData: &protobundle.TimestampVerificationData{
				Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: p.timestamp}},
			},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return protojson.Marshal(pb)
}

// signed is what the virtual Sigstore's signing yields, as a bundle or a
// .sig layer carries it.
type signed struct {
	cert      *x509.Certificate
	content   verify.SignatureContent
	timestamp []byte
	entry     *protorekor.TransparencyLogEntry
}

func (s *Sigstore) parts(e *ca.TestEntity) (*signed, error) {
	vc, err := e.VerificationContent()
	if err != nil {
		return nil, err
	}
	sc, err := e.SignatureContent()
	if err != nil {
		return nil, err
	}
	timestamps, err := e.Timestamps()
	if err != nil {
		return nil, err
	}
	entries, err := e.TlogEntries()
	if err != nil {
		return nil, err
	}
	tle, err := s.withPromise(entries[0])
	if err != nil {
		return nil, err
	}
	return &signed{cert: vc.Certificate(), content: sc, timestamp: timestamps[0], entry: tle}, nil
}

// withPromise gives a log entry of the virtual Rekor the kind and signed
// entry timestamp a bundle carries.
func (s *Sigstore) withPromise(e *tlog.Entry) (*protorekor.TransparencyLogEntry, error) {
	tle := e.TransparencyLogEntry()
	var kind struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &kind); err != nil {
		return nil, err
	}
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          fmt.Sprintf("%x", tle.LogId.KeyId),
	})
	if err != nil {
		return nil, err
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return tle, nil
}

// KeylessSimpleSignature signs payload keyless, as identity at issuer, and
// returns the .sig layer cosign v2 pushes for it: the certificate, the Rekor
// bundle (entry and signed entry timestamp) and the RFC 3161 timestamp as
// annotations.
func (s *Sigstore) KeylessSimpleSignature(identity, issuer string, payload []byte) (registrytest.Blob, error) {
	e, err := s.vs.SignAtTime(identity, issuer, payload, time.Now().Add(5*time.Minute))
	if err != nil {
		return registrytest.Blob{}, err
	}
	p, err := s.parts(e)
	if err != nil {
		return registrytest.Blob{}, err
	}
	tle := p.entry
	rekorBundle, err := json.Marshal(map[string]any{
		"SignedEntryTimestamp": tle.InclusionPromise.SignedEntryTimestamp,
		"Payload": map[string]any{
			"body":           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			"integratedTime": tle.IntegratedTime,
			"logIndex":       tle.LogIndex,
			"logID":          fmt.Sprintf("%x", tle.LogId.KeyId),
		},
	})
	if err != nil {
		return registrytest.Blob{}, err
	}
	timestamp, err := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": p.timestamp})
	if err != nil {
		return registrytest.Blob{}, err
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw})
	return registrytest.Blob{MediaType: signature.SimpleSigningMediaType, Data: payload, Annotations: map[string]string{
		"dev.cosignproject.cosign/signature":   base64.StdEncoding.EncodeToString(p.content.Signature()),
		"dev.sigstore.cosign/certificate":      string(cert),
		"dev.sigstore.cosign/bundle":           string(rekorBundle),
		"dev.sigstore.cosign/rfc3161timestamp": string(timestamp),
	}}, nil
}
