package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// setupTLS generates a CA and a server certificate for this Registry alone.
// A private CA (rather than a self-signed leaf) is what deployments with an
// internal registry have, and it lets a test prove that a client trusts the
// CA it was given and nothing else.
func (r *Registry) setupTLS() error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "registrytest CA", Organization: []string{"registrytest"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("parse CA certificate: %w", err)
	}

	leafDER, leafKey, err := issue(caCert, caKey, x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost", Organization: []string{"registrytest"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    append([]string{"localhost"}, r.opts.DNSNames...),
		IPAddresses: append([]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, r.opts.IPAddresses...),
	})
	if err != nil {
		return fmt.Errorf("create server certificate: %w", err)
	}

	r.caCert, r.caKey = caCert, caKey
	r.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	r.tlsConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{leafDER, caDER},
			PrivateKey:  leafKey,
		}},
	}
	if r.opts.RequireClientCert {
		r.requireClientCert()
	}
	return nil
}

// validateTLS checks the options that only make sense with TLS.
func validateTLS(opts Options) error {
	if opts.RequireClientCert && !opts.TLS {
		return errors.New("RequireClientCert needs TLS")
	}
	return nil
}

// requireClientCert makes handshakes on the registry's listener demand a
// client certificate signed by the CA. The registry and the token server
// share one server configuration, so the choice is made per connection, by
// the local address it was accepted on: the token server keeps answering
// clients without a certificate, as a separate token service would.
func (r *Registry) requireClientCert() {
	pool := x509.NewCertPool()
	pool.AddCert(r.caCert)
	mtls := r.tlsConfig.Clone()
	mtls.ClientAuth = tls.RequireAndVerifyClientCert
	mtls.ClientCAs = pool
	// A configuration returned by GetConfigForClient replaces the one
	// http.Server completed with its ALPN protocols, so they are set here.
	mtls.NextProtos = []string{"h2", "http/1.1"}
	r.tlsConfig.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		// r.Host is set before any server starts, so reading it here
		// does not race.
		if hello.Conn != nil && hello.Conn.LocalAddr().String() == r.Host {
			return mtls, nil
		}
		return nil, nil
	}
}

// ClientCertificatePEM issues a client certificate for commonName (ECDSA
// P-256, client authentication only, valid for a day) signed by this
// Registry's CA, which a registry with Options.RequireClientCert accepts.
// The key is PKCS #8 PEM ("PRIVATE KEY"); tls.X509KeyPair takes both
// values as they are. It fails without TLS.
func (r *Registry) ClientCertificatePEM(commonName string) (certPEM, keyPEM []byte, err error) {
	if r.caCert == nil || r.caKey == nil {
		return nil, nil, errors.New("client certificate: the registry does not use TLS")
	}
	der, key, err := issue(r.caCert, r.caKey, x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName, Organization: []string{"registrytest"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create client certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode client key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// giveFixtureClientCert lets the fixture helpers through a registry with
// Options.RequireClientCert.
func (r *Registry) giveFixtureClientCert() error {
	certPEM, keyPEM, err := r.ClientCertificatePEM("registrytest-fixture")
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("load fixture client certificate: %w", err)
	}
	r.fixtureTransport.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return nil
}

// ClientTLSConfig returns a client configuration whose only root is this
// Registry's CA, or nil without TLS. Each call returns a new value. It
// holds no client certificate: see ClientCertificatePEM.
func (r *Registry) ClientTLSConfig() *tls.Config {
	if r.caCert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(r.caCert)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// issue signs a certificate valid from an hour ago for a day, for a fresh
// P-256 key, from tmpl's subject, key usage and names.
func issue(caCert *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl x509.Certificate) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}
