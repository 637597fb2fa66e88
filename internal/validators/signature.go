package validators

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature"
)

// PublicKey accepts a PEM public key Sigstore signs with: ECDSA, Ed25519 or
// RSA.
func PublicKey() validator.String {
	return stringCheck{
		description: "must be a PEM public key (-----BEGIN PUBLIC KEY-----): ECDSA P-256/P-384/P-521, Ed25519 or RSA",
		summary:     "Invalid Public Key",
		check: func(s string) error {
			if _, err := signature.ParsePublicKey(s); err != nil {
				return fmt.Errorf("this is not a public key signatures can be verified with: %w", err)
			}
			return nil
		},
	}
}

// TrustedRoot accepts a Sigstore trusted root in JSON.
func TrustedRoot() validator.String {
	return stringCheck{
		description: "must be a Sigstore trusted root in JSON, as `cosign trusted-root create` writes it",
		summary:     "Invalid Trusted Root",
		check: func(s string) error {
			if _, err := signature.ParseTrustedRoot(s); err != nil {
				return fmt.Errorf("this is not a trusted root signatures can be verified against: %w", err)
			}
			return nil
		},
	}
}
