package signature

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func pemOf(t *testing.T, typ string, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParsePublicKey(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	good := pemOf(t, "PUBLIC KEY", &p256.PublicKey)
	k, err := ParsePublicKey("\n" + good + "\n")
	if err != nil || len(k.ID) != 64 || len(k.verifiers) != 1 {
		t.Fatalf("P-256: %+v, %v", k, err)
	}
	for in, want := range map[string]string{
		"not a key": "not PEM",
		good + good: "more than one PEM block",
		pemOf(t, "RSA PUBLIC KEY", &p256.PublicKey):                    `"RSA PUBLIC KEY", not "PUBLIC KEY"`,
		pemOf(t, "PUBLIC KEY", &p224.PublicKey):                        "P-224 is not one Sigstore signs with",
		pemOf(t, "PUBLIC KEY", &small.PublicKey):                       "1024 bits",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n": "not a PKIX public key",
	} {
		if _, err := ParsePublicKey(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: %v, want an error containing %q", in, err, want)
		}
	}
}

func TestParseTrustedRoot(t *testing.T) {
	for in, want := range map[string]string{
		"{":  "not a Sigstore trusted root",
		"[]": "not a Sigstore trusted root",
		`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`: "lists no certificate authority",
	} {
		if _, err := ParseTrustedRoot(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", in, err, want)
		}
	}
}

func TestMatcher(t *testing.T) {
	exact, _ := NewMatcher("a@b", "")
	re, err := NewMatcher("", `^https://github\.com/o/r/`)
	if err != nil {
		t.Fatal(err)
	}
	if !exact.Matches("a@b") || exact.Matches("xa@b") || !re.Matches("https://github.com/o/r/.github/workflows/x.yml@refs/heads/main") || re.Matches("https://github.com/o/rr/") {
		t.Error("matching is wrong")
	}
	if _, err := NewMatcher("", "("); err == nil {
		t.Error("a bad regex was accepted")
	}
}

// TestClassify has a case for every row of stages: the texts sigstore-go
// v1.3.0 gives the failure of each step.
func TestClassify(t *testing.T) {
	for msg, want := range map[string]Reason{
		"failed to verify log inclusion: not enough verified log entries from transparency log: 0 < 1":                ReasonLogEntry,
		"failed to verify timestamps: threshold not met for verified signed & log entry integrated timestamps: 0 < 1": ReasonNoTimestamp,
		"failed to verify leaf certificate: x509: certificate signed by unknown authority":                            ReasonUntrustedChain,
		"failed to verify signed certificate timestamp: only able to verify 0 SCT entries; unable to meet threshold":  ReasonUntrustedChain,
		"failed to verify signature: could not verify envelope: no valid signature found":                             ReasonBadSignature,
		"something else": ReasonInvalid,
	} {
		if got := classify(errors.New(msg)); got.Reason != want || got.Detail != msg {
			t.Errorf("%q: %+v, want %s", msg, got, want)
		}
	}
	if len(stages) != 5 {
		t.Errorf("stages has %d rows; give each new one a case here", len(stages))
	}
}
