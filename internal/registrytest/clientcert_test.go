package registrytest

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// clientCert issues a certificate from r's CA as a tls.Certificate.
func clientCert(t *testing.T, r *Registry, cn string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := r.ClientCertificatePEM(cn)
	if err != nil {
		t.Fatalf("ClientCertificatePEM: %v", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("issued certificate and key do not load as a pair: %v", err)
	}
	return cert
}

// mtlsClient is client with certs presented in the handshake.
func mtlsClient(t *testing.T, r *Registry, auth authn.Authenticator, certs ...tls.Certificate) []remote.Option {
	t.Helper()
	tr := r.HTTPTransport()
	tr.TLSClientConfig.Certificates = certs
	t.Cleanup(tr.CloseIdleConnections)
	return []remote.Option{remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(context.Background())}
}

// handshake opens a TLS connection to r with version presenting certs and
// returns the first error the server's answer causes, or nil if it accepted
// the handshake and sent nothing more within a moment.
func handshake(t *testing.T, r *Registry, version uint16, certs ...tls.Certificate) error {
	t.Helper()
	cfg := r.ClientTLSConfig()
	cfg.MinVersion, cfg.MaxVersion = version, version
	cfg.Certificates = certs
	d := tls.Dialer{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", r.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return nil
	}
	return err
}

// getV2 sends GET /v2/ to r presenting certs, straight through net/http so
// that a handshake error is not mixed with go-containerregistry's fallback
// to plain HTTP.
func getV2(t *testing.T, r *Registry, certs ...tls.Certificate) (*http.Response, error) {
	t.Helper()
	tr := r.HTTPTransport()
	tr.TLSClientConfig.Certificates = certs
	t.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, r.URL+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	return resp, err
}

// TestClientCertificate proves that a RequireClientCert registry accepts
// only clients presenting a certificate from its own CA, that the refusal
// happens in the TLS handshake (the registry never sees a request), that
// the request log names the certificate, and that the fixture helpers and
// the token server keep working without one.
func TestClientCertificate(t *testing.T) {
	r, pubDigest, privDigest := newTokenRegistry(t, Options{TLS: true, RequireClientCert: true})
	other := New(t, Options{TLS: true})

	t.Run("certificate from the registry CA is accepted and logged", func(t *testing.T) {
		r.Requests.Reset()
		r.TokenRequests.Reset()
		opts := mtlsClient(t, r, authn.Anonymous, clientCert(t, r, "ci-runner"))
		desc, err := remote.Head(mustRef(t, r, "public/app:1"), opts...)
		if err != nil {
			t.Fatalf("HEAD with a client certificate: %v", err)
		}
		if desc.Digest != pubDigest {
			t.Errorf("digest = %s, want %s", desc.Digest, pubDigest)
		}
		reqs := r.Requests.All()
		if len(reqs) == 0 {
			t.Fatal("registry logged no request")
		}
		for _, req := range reqs {
			if req.ClientCert != "ci-runner" {
				t.Errorf("%s %s: ClientCert = %q, want %q", req.Method, req.Path, req.ClientCert, "ci-runner")
			}
		}
		// The token server asks for no certificate, so none is verified.
		for _, req := range r.TokenRequests.All() {
			if req.ClientCert != "" {
				t.Errorf("token request %s: ClientCert = %q, want none", req.Path, req.ClientCert)
			}
		}
	})

	t.Run("user with certificate pulls private repository", func(t *testing.T) {
		opts := mtlsClient(t, r, &authn.Basic{Username: alice, Password: alicePW}, clientCert(t, r, "ci-runner"))
		desc, err := remote.Head(mustRef(t, r, "private:1"), opts...)
		if err != nil {
			t.Fatalf("HEAD of private repository with certificate and password: %v", err)
		}
		if desc.Digest != privDigest {
			t.Errorf("digest = %s, want %s", desc.Digest, privDigest)
		}
	})

	// The refusal is an alert in the handshake. With TLS 1.2 the client's
	// Handshake returns it; with TLS 1.3 the client finishes its half first
	// and reads the alert next, so handshake reads once to see it.
	refusals := []struct {
		name  string
		certs []tls.Certificate
		// alerts by version: TLS 1.2 has no "certificate required".
		alerts map[uint16]string
	}{
		{
			name: "no certificate fails the handshake",
			alerts: map[uint16]string{
				tls.VersionTLS12: "remote error: tls: handshake failure",
				tls.VersionTLS13: "remote error: tls: certificate required",
			},
		},
		{
			name:  "certificate from another CA fails the handshake",
			certs: []tls.Certificate{clientCert(t, other, "intruder")},
			alerts: map[uint16]string{
				tls.VersionTLS12: "remote error: tls: unknown certificate authority",
				tls.VersionTLS13: "remote error: tls: unknown certificate authority",
			},
		},
	}
	for _, tc := range refusals {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tc.name+" "+tls.VersionName(version), func(t *testing.T) {
				r.Requests.Reset()
				err := handshake(t, r, version, tc.certs...)
				if want := tc.alerts[version]; err == nil || err.Error() != want {
					t.Fatalf("handshake: err = %v, want %q", err, want)
				}
				if n := len(r.Requests.All()); n != 0 {
					t.Errorf("registry logged %d requests, want 0", n)
				}
			})
		}
	}

	t.Run("certificate from the registry CA passes the handshake", func(t *testing.T) {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			if err := handshake(t, r, version, clientCert(t, r, "ci-runner")); err != nil {
				t.Errorf("%s handshake with the registry's own client certificate: %v", tls.VersionName(version), err)
			}
		}
	})

	t.Run("token server needs no certificate", func(t *testing.T) {
		tr := r.HTTPTransport()
		defer tr.CloseIdleConnections()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, r.TokenURL+"?service="+Service, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("token request without a client certificate: %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("anonymous token request: status %d, want 200", resp.StatusCode)
		}
	})

	t.Run("HTTP/2 is still negotiated", func(t *testing.T) {
		resp, err := getV2(t, r, clientCert(t, r, "ci-runner"))
		if err != nil {
			t.Fatalf("GET /v2/ with a client certificate: %v", err)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("protocol %s, want HTTP/2 as without RequireClientCert", resp.Proto)
		}
	})
}

// TestClientCertificateOptions proves the option is refused without TLS and
// that a plain-TLS registry ignores client certificates.
func TestClientCertificateOptions(t *testing.T) {
	if r, err := Start(context.Background(), Options{RequireClientCert: true}); err == nil {
		_ = r.Close()
		t.Fatal("Start with RequireClientCert and no TLS succeeded, want an error")
	}

	plain := New(t, Options{})
	if _, _, err := plain.ClientCertificatePEM("x"); err == nil {
		t.Error("ClientCertificatePEM without TLS succeeded, want an error")
	}

	r := New(t, Options{TLS: true})
	if _, err := r.PushImage(context.Background(), "app:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(mustRef(t, r, "app:1"), client(t, r, authn.Anonymous)...); err != nil {
		t.Fatalf("HEAD without a certificate from a registry that does not require one: %v", err)
	}
	if _, err := remote.Head(mustRef(t, r, "app:1"), mtlsClient(t, r, authn.Anonymous, clientCert(t, r, "unasked"))...); err != nil {
		t.Fatalf("HEAD with an unasked-for certificate: %v", err)
	}
	for _, req := range r.Requests.All() {
		if req.ClientCert != "" {
			t.Errorf("%s %s: ClientCert = %q on a registry that verifies none", req.Method, req.Path, req.ClientCert)
		}
	}
}
