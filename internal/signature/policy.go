// Package signature decides whether an image digest is signed as a policy
// requires: by one of a set of public keys, or keyless by a Fulcio
// certificate for an identity and OIDC issuer, checked against a Sigstore
// trusted root. It reads the two formats cosign writes to registries (see
// formats.go) and verifies them with sigstore-go.
//
// It does no HTTP itself: a Source (the registry client) fetches, and
// nothing is fetched from Sigstore's services, so a plan needs no internet
// beyond its registries. Failures are facts (a Reason per signature found);
// what to do about them is the provider's to say.
package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Key is a public key that signatures may verify with.
type Key struct {
	// ID is the sha256 hex of the key's PKIX DER encoding.
	ID string
	// verifiers are the signature schemes cosign signs with this kind of
	// key, most likely first.
	verifiers []signature.Verifier
}

// ParsePublicKey reads a PEM public key (PKIX "PUBLIC KEY", as `cosign
// generate-key-pair` writes): ECDSA P-256, P-384 or P-521, Ed25519, or RSA.
func ParsePublicKey(text string) (*Key, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("it is not PEM: expected -----BEGIN PUBLIC KEY-----")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("it holds more than one PEM block: give each key as its own list element")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("its PEM block is %q, not \"PUBLIC KEY\"", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("it is not a PKIX public key: %w", err)
	}
	sum := sha256.Sum256(block.Bytes)
	k := &Key{ID: hex.EncodeToString(sum[:])}
	// cosign signs with the hash that suits the curve (P-384 with
	// SHA-384) since v2.x, with SHA-256 before; Ed25519 pre-hashed
	// (Ed25519ph) since tlog uploads needed it, pure before.
	var schemes []func() (signature.Verifier, error)
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		h := crypto.SHA256
		switch p.Curve {
		case elliptic.P256():
		case elliptic.P384():
			h = crypto.SHA384
		case elliptic.P521():
			h = crypto.SHA512
		default:
			return nil, fmt.Errorf("its ECDSA curve %s is not one Sigstore signs with (P-256, P-384, P-521)", p.Curve.Params().Name)
		}
		schemes = append(schemes, func() (signature.Verifier, error) { return signature.LoadECDSAVerifier(p, h) })
		if h != crypto.SHA256 {
			schemes = append(schemes, func() (signature.Verifier, error) { return signature.LoadECDSAVerifier(p, crypto.SHA256) })
		}
	case ed25519.PublicKey:
		schemes = append(schemes,
			func() (signature.Verifier, error) { return signature.LoadED25519phVerifier(p) },
			func() (signature.Verifier, error) { return signature.LoadED25519Verifier(p) })
	case *rsa.PublicKey:
		if p.N.BitLen() < 2048 {
			return nil, fmt.Errorf("its RSA modulus has %d bits, fewer than the 2048 Sigstore accepts", p.N.BitLen())
		}
		schemes = append(schemes,
			func() (signature.Verifier, error) { return signature.LoadRSAPKCS1v15Verifier(p, crypto.SHA256) },
			func() (signature.Verifier, error) {
				return signature.LoadRSAPSSVerifier(p, crypto.SHA256, &rsa.PSSOptions{Hash: crypto.SHA256})
			})
	default:
		return nil, fmt.Errorf("a %T key is not one Sigstore signs with (ECDSA, Ed25519, RSA)", pub)
	}
	for _, load := range schemes {
		v, err := load()
		if err != nil {
			return nil, err
		}
		k.verifiers = append(k.verifiers, v)
	}
	return k, nil
}

// ParseTrustedRoot reads a Sigstore trusted root (the JSON `cosign
// trusted-root create` writes, or trusted_root.json of Sigstore's TUF
// repository).
func ParseTrustedRoot(text string) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("it is not a Sigstore trusted root: %w", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 && len(tr.RekorLogs()) == 0 && len(tr.TimestampingAuthorities()) == 0 {
		return nil, errors.New("it lists no certificate authority, transparency log or timestamp authority")
	}
	return tr, nil
}

// Matcher is an exact value or an RE2 regular expression (unanchored, as
// cosign's --certificate-identity-regexp is).
type Matcher struct {
	Exact string
	Regex *regexp.Regexp
}

// NewMatcher makes a Matcher of exact or regex, whichever is not "".
func NewMatcher(exact, regex string) (Matcher, error) {
	if regex == "" {
		return Matcher{Exact: exact}, nil
	}
	re, err := regexp.Compile(regex)
	if err != nil {
		return Matcher{}, fmt.Errorf("%q is not an RE2 regular expression: %w", regex, err)
	}
	return Matcher{Regex: re}, nil
}

// Matches reports whether s is the value, or matches the expression.
func (m Matcher) Matches(s string) bool {
	if m.Regex != nil {
		return m.Regex.MatchString(s)
	}
	return s == m.Exact
}

func (m Matcher) String() string {
	if m.Regex != nil {
		return "matching " + m.Regex.String()
	}
	return fmt.Sprintf("%q", m.Exact)
}

// Policy is what a signature must satisfy to count.
type Policy struct {
	// Keys, for key signatures: a signature must verify with one of them.
	Keys []*Key
	// Identity and Issuer, for keyless signatures: the certificate's
	// subject alternative name and OIDC issuer must match them.
	Identity, Issuer *Matcher
	// TrustedRoot verifies certificate chains, signed timestamps and log
	// entries; required for keyless signatures.
	TrustedRoot *root.TrustedRoot
	// RequireTlog makes a signature without a verified transparency log
	// entry count as unverified.
	RequireTlog bool
}

// Keyless reports whether the policy is for keyless signatures.
func (p *Policy) Keyless() bool { return p.Identity != nil }
