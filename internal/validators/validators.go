// Package validators holds the provider's own attribute validators: the
// checks that terraform-plugin-framework-validators has no word for. Each runs
// at validate time, without network, whenever the value is known.
package validators

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// stringCheck adapts a plain check to validator.String.
type stringCheck struct {
	description string
	summary     string
	check       func(string) error
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, Capitalize(err.Error())+".")
	}
}

// Reference accepts what `docker pull` accepts.
func Reference() validator.String {
	return stringCheck{
		description: "must be an image reference such as nginx, nginx:1.27, ghcr.io/o/app@sha256:…",
		summary:     "Invalid Image Reference",
		check: func(s string) error {
			_, err := imageref.Parse(s)
			return err
		},
	}
}

// RegistryAddress accepts a registry host[:port], with Docker's aliases and
// config-file key forms, and rejects a repository path.
func RegistryAddress() validator.String {
	return stringCheck{
		description: "must be a registry host[:port], such as ghcr.io or registry.example.com:5000",
		summary:     "Invalid Registry Address",
		check: func(s string) error {
			_, err := imageref.NormalizeAddress(s)
			return err
		},
	}
}

// Digest accepts a digest such as sha256:<64 hex digits>.
func Digest() validator.String {
	return stringCheck{
		description: "must be a digest such as sha256:<64 hex digits>",
		summary:     "Invalid Digest",
		check:       imageref.ValidateDigest,
	}
}

// PositiveDuration accepts a Go duration greater than zero, such as "60s" or "2m".
func PositiveDuration() validator.String {
	return stringCheck{
		description: `must be a positive duration such as "60s" or "2m"`,
		summary:     "Invalid Duration",
		check: func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%q is not a duration: write a number with a unit, such as \"60s\" or \"2m\"", s)
			}
			if d <= 0 {
				return fmt.Errorf("%q is not a positive duration", s)
			}
			return nil
		},
	}
}

// CertificatesPEM accepts PEM text holding at least one X.509 certificate and
// nothing that fails to parse.
func CertificatesPEM() validator.String {
	return stringCheck{
		description: "must be one or more PEM-encoded X.509 certificates",
		summary:     "Invalid Certificate PEM",
		check: func(s string) error {
			_, err := ParseCertificates(s)
			return err
		},
	}
}

// ParseCertificates parses every CERTIFICATE block of a PEM text.
func ParseCertificates(s string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("found a PEM block of type %q where only CERTIFICATE blocks belong", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a CERTIFICATE block does not parse: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM-encoded certificate found: expected text starting with -----BEGIN CERTIFICATE-----")
	}
	return certs, nil
}

// Capitalize starts a message with a capital letter: errors are written in
// lower case, diagnostics and function errors are sentences.
func Capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
