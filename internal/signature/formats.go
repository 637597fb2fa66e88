package signature

// What cosign writes to a registry, from its source (sigstore/cosign at
// v3.1.2):
//
// Sigstore bundles, cosign v3's default ("--new-bundle-format", true in
// cmd/cosign/cli/options/sign.go). cmd/cosign/cli/sign/sign.go
// signDigestBundle signs an in-toto v1 statement whose one subject is
// {"digest": {"sha256": "<hex>"}} (no name), with predicateType
// https://sigstore.dev/cosign/sign/v1 (pkg/types/predicate.go) and an empty
// predicate, as a DSSE envelope of payload type application/vnd.in-toto+json,
// packed into a bundle v0.3 by sigstore-go. pkg/oci/remote/write.go
// WriteAttestationNewBundleFormat pushes it with WriteReferrer: an OCI image
// manifest with top-level artifactType
// application/vnd.dev.sigstore.bundle.v0.3+json, the empty config
// (application/vnd.oci.empty.v1+json, "{}"), the bundle as its only layer
// (of the same media type), the image as subject, and the annotations
// org.opencontainers.image.created, dev.sigstore.bundle.content
// ("dsse-envelope") and dev.sigstore.bundle.predicateType. `cosign attest`
// pushes attestations the same way, with their own predicate type: they are
// not signatures and are passed over. With a key, the bundle's verification
// material is a public key hint only.
//
// Simple signing, cosign v1 and v2 (and v3 with --new-bundle-format=false):
// the tag sha256-<hex>.sig (pkg/oci/remote/remote.go normalize, suffix "sig"
// in options.go) holds an image manifest (pkg/oci/empty/empty.go: OCI, config
// application/vnd.oci.image.config.v1+json) with one layer per signature,
// each of media type application/vnd.dev.cosign.simplesigning.v1+json
// (pkg/types/media.go) whose content is the signed payload
// {"critical": {"identity": {"docker-reference": …}, "image":
// {"docker-manifest-digest": "sha256:…"}, "type": "cosign container image
// signature"}, "optional": …} (sigstore/sigstore pkg/signature/payload), and
// whose descriptor annotations (pkg/oci/static/signature.go) carry the
// base64 signature (dev.cosignproject.cosign/signature) and, where there is
// one, the Fulcio certificate and chain (dev.sigstore.cosign/certificate,
// dev.sigstore.cosign/chain, PEM), the Rekor entry with its signed entry
// timestamp (dev.sigstore.cosign/bundle, pkg/cosign/bundle/rekor.go
// RekorBundle) and an RFC 3161 timestamp (dev.sigstore.cosign/rfc3161timestamp).
// Such a signature is read here as the bundle v0.1 it amounts to: a message
// signature over the payload, with its key or certificate and log entry.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// The formats, as the signatures attribute names them.
const (
	FormatBundle        = "sigstore-bundle"
	FormatSimpleSigning = "cosign-simple-signing"
)

const (
	// BundleArtifactType is the artifactType of a bundle referrer, and the
	// media type of its layer.
	BundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SignPredicateType is the predicate type of cosign's signature
	// statement.
	SignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	// predicateTypeAnnotation names a bundle referrer's predicate type.
	predicateTypeAnnotation = "dev.sigstore.bundle.predicateType"
	inTotoPayloadType       = "application/vnd.in-toto+json"

	// SimpleSigningMediaType is the media type of a simple-signing layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	simpleSigningType      = "cosign container image signature"
	signatureAnnotation    = "dev.cosignproject.cosign/signature"
	certificateAnnotation  = "dev.sigstore.cosign/certificate"
	rekorBundleAnnotation  = "dev.sigstore.cosign/bundle"
	timestampAnnotation    = "dev.sigstore.cosign/rfc3161timestamp"

	// maxSignatureBlob bounds a bundle or a simple-signing payload read:
	// both are a few kilobytes.
	maxSignatureBlob = 1 << 20
)

// SigTag is the tag cosign v1/v2 keep the simple signatures of dgst in.
func SigTag(dgst string) string { return strings.Replace(dgst, ":", "-", 1) + ".sig" }

// statement is the part of an in-toto statement that binds it.
type statement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// parseBundle reads a bundle referrer's layer and checks that it is a
// signature statement binding subject. The failure is a Reason's detail.
func parseBundle(raw []byte, subject string) (*bundle.Bundle, *Failure) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, failf(ReasonMalformed, "it is not a Sigstore bundle: %v", err)
	}
	env, err := b.Envelope()
	if err != nil || env == nil {
		return nil, failf(ReasonMalformed, "the bundle holds no DSSE envelope, so it signs a blob, not an image")
	}
	raw, err = base64.StdEncoding.DecodeString(env.RawEnvelope().Payload)
	if err != nil || env.RawEnvelope().PayloadType != inTotoPayloadType {
		return nil, failf(ReasonMalformed, "the envelope's payload is not an in-toto statement")
	}
	var st statement
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, failf(ReasonMalformed, "the in-toto statement does not parse: %v", err)
	}
	if st.PredicateType != SignPredicateType {
		return nil, failf(ReasonNotSignature, "it is an attestation of predicate type %q, not a signature (%s)", st.PredicateType, SignPredicateType)
	}
	algorithm, encoded, _ := strings.Cut(subject, ":")
	var signed []string
	for _, s := range st.Subject {
		if s.Digest[algorithm] == encoded {
			return &b, nil
		}
		for alg, hex := range s.Digest {
			signed = append(signed, alg+":"+hex)
		}
	}
	return nil, failf(ReasonDigestNotBound, "it signs %s, not %s", listOrNone(signed), subject)
}

// simplePayload is the part of a simple-signing payload that binds it.
type simplePayload struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// rekorBundle is the dev.sigstore.cosign/bundle annotation.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// simpleSignature reads a simple-signing layer (its payload and
// annotations), checks that it binds subject, and returns it as the bundle
// v0.1 it amounts to, with the payload the signature is over.
func simpleSignature(payload []byte, annotations map[string]string, subject string) (*bundle.Bundle, *Failure) {
	var p simplePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, failf(ReasonMalformed, "its payload is not a cosign simple-signing payload: %v", err)
	}
	if p.Critical.Type != simpleSigningType {
		return nil, failf(ReasonMalformed, "its payload's type is %q, not %q", p.Critical.Type, simpleSigningType)
	}
	if got := p.Critical.Image.DockerManifestDigest; got != subject {
		return nil, failf(ReasonDigestNotBound, "it signs %s, not %s", listOrNone([]string{got}), subject)
	}
	sig, err := base64.StdEncoding.DecodeString(annotations[signatureAnnotation])
	if err != nil || len(sig) == 0 {
		return nil, failf(ReasonMalformed, "its %s annotation is not a base64 signature", signatureAnnotation)
	}
	sum := sha256.Sum256(payload)
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}},
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}},
		},
	}
	if certPEM := annotations[certificateAnnotation]; certPEM != "" {
		block, _ := pem.Decode([]byte(certPEM))
		if block == nil {
			return nil, failf(ReasonMalformed, "its %s annotation is not a PEM certificate", certificateAnnotation)
		}
		pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_X509CertificateChain{
			X509CertificateChain: &protocommon.X509CertificateChain{Certificates: []*protocommon.X509Certificate{{RawBytes: block.Bytes}}},
		}
	}
	if s := annotations[rekorBundleAnnotation]; s != "" {
		entry, err := rekorEntry(s)
		if err != nil {
			return nil, failf(ReasonMalformed, "its %s annotation is not a Rekor bundle: %v", rekorBundleAnnotation, err)
		}
		pb.VerificationMaterial.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}
	if s := annotations[timestampAnnotation]; s != "" {
		var ts struct {
			SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(s), &ts); err != nil || len(ts.SignedRFC3161Timestamp) == 0 {
			return nil, failf(ReasonMalformed, "its %s annotation is not an RFC 3161 timestamp", timestampAnnotation)
		}
		pb.VerificationMaterial.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts.SignedRFC3161Timestamp}},
		}
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, failf(ReasonMalformed, "it does not make a valid bundle: %v", err)
	}
	return b, nil
}

// rekorEntry turns cosign's Rekor bundle annotation into a log entry with
// its inclusion promise (the signed entry timestamp).
func rekorEntry(annotation string) (*protorekor.TransparencyLogEntry, error) {
	var rb rekorBundle
	if err := json.Unmarshal([]byte(annotation), &rb); err != nil {
		return nil, err
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("its body is not base64: %w", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("its log ID is not hex: %w", err)
	}
	var kind struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kind); err != nil || kind.Kind == "" {
		return nil, errors.New("its body is not a Rekor entry")
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}

func listOrNone(digests []string) string {
	if len(digests) == 0 || (len(digests) == 1 && digests[0] == "") {
		return "no digest"
	}
	return strings.Join(digests, ", ")
}
