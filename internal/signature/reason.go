package signature

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// Reason is why a signature found did not verify.
type Reason string

// The reasons. Their text is what a diagnostic names.
const (
	// ReasonMalformed: it cannot be read as a signature.
	ReasonMalformed Reason = "malformed"
	// ReasonNotSignature: an attestation, not a signature (never listed).
	ReasonNotSignature Reason = "not a signature"
	// ReasonDigestNotBound: it signs another digest.
	ReasonDigestNotBound Reason = "digest not bound"
	// ReasonWrongKey: it verifies with none of the keys.
	ReasonWrongKey Reason = "wrong key"
	// ReasonKeyless: signed with a certificate where keys were asked for.
	ReasonKeyless Reason = "keyless signature"
	// ReasonNotKeyless: signed with a key where keyless was asked for.
	ReasonNotKeyless Reason = "key signature"
	// ReasonUntrustedChain: its certificate does not chain to the trusted
	// root's certificate authorities at signing time (or lacks the SCT the
	// root's CT logs call for).
	ReasonUntrustedChain Reason = "untrusted certificate chain"
	// ReasonIdentity: its certificate is for another identity.
	ReasonIdentity Reason = "identity mismatch"
	// ReasonIssuer: its certificate names another OIDC issuer.
	ReasonIssuer Reason = "issuer mismatch"
	// ReasonNoLogEntry: it has no transparency log entry, and one is required.
	ReasonNoLogEntry Reason = "no log entry"
	// ReasonLogEntry: its transparency log entry does not verify against
	// the trusted root.
	ReasonLogEntry Reason = "log entry not verified"
	// ReasonNoTimestamp: no signed timestamp or log entry verifies, so the
	// certificate cannot be checked at the time of signing.
	ReasonNoTimestamp Reason = "no verified timestamp"
	// ReasonBadSignature: the signature does not verify with its own
	// certificate.
	ReasonBadSignature Reason = "invalid signature"
	// ReasonInvalid: any other failure of verification.
	ReasonInvalid Reason = "invalid"
)

// Failure is a signature found that did not verify.
type Failure struct {
	// Format and Digest are those of Signature.
	Format, Digest string
	Reason         Reason
	// Detail says what was found, as a clause: "it signs sha256:…, not
	// sha256:…".
	Detail string
}

func failf(r Reason, format string, args ...any) *Failure {
	return &Failure{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// stages are the prefixes sigstore-go v1.3.0 (pkg/verify/signed_entity.go,
// Verifier.Verify) gives the failure of each step of verification: the one
// place its errors are read as text, since they have no types. Each row has
// a case in TestClassify.
var stages = []struct {
	prefix string
	reason Reason
}{
	{"failed to verify log inclusion", ReasonLogEntry},
	{"failed to verify timestamps", ReasonNoTimestamp},
	{"failed to verify leaf certificate", ReasonUntrustedChain},
	{"failed to verify signed certificate timestamp", ReasonUntrustedChain},
	{"failed to verify signature", ReasonBadSignature},
}

// classify turns a sigstore-go verification failure into a Failure.
func classify(err error) *Failure {
	msg := err.Error()
	for _, s := range stages {
		if strings.HasPrefix(msg, s.prefix) {
			return &Failure{Reason: s.reason, Detail: msg}
		}
	}
	return &Failure{Reason: ReasonInvalid, Detail: msg}
}

func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }

// manifestLayers reads the layers of a .sig tag's manifest, checking their
// digests: they end up in URLs.
func manifestLayers(m *registry.Manifest) ([]registry.Descriptor, error) {
	var doc struct {
		Layers []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Size        int64             `json:"size"`
			Annotations map[string]string `json:"annotations"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(m.Raw, &doc); err != nil {
		return nil, fmt.Errorf("the signature manifest does not parse: %w", err)
	}
	if len(doc.Layers) == 0 {
		return nil, errors.New("the signature manifest has no layers")
	}
	out := make([]registry.Descriptor, len(doc.Layers))
	for i, l := range doc.Layers {
		if err := digest.Validate(l.Digest); err != nil {
			return nil, fmt.Errorf("the signature manifest's layer %d: %w", i, err)
		}
		out[i] = registry.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations}
	}
	return out, nil
}
