package validators

import (
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature/signaturetest"
)

// TestSignatureValidators: keys and trusted roots that do not parse are
// attribute errors at validate time.
func TestSignatureValidators(t *testing.T) {
	k, err := signaturetest.NewKey(0)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := signaturetest.NewSigstore()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	checkValidators(t, []validatorCase{
		{"public key", PublicKey(), []string{k.PublicPEM},
			map[string]string{"ssh-ed25519 AAAA": "Invalid Public Key: This is not a public key signatures can be verified with: it is not PEM",
				k.PublicPEM + k.PublicPEM: "more than one PEM block"}},
		{"trusted root", TrustedRoot(), []string{root},
			map[string]string{"{}": "Invalid Trusted Root: This is not a trusted root", "[": "not a Sigstore trusted root"}},
	})
}
