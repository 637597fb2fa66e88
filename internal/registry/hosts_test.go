package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:5000": true, "127.0.0.1": true, "127.1.2.3:80": true, "[::1]:5000": true, "::1": true,
		"[::ffff:127.0.0.1]:5000": true,
		"10.9.9.9:5000":           false, "192.168.1.2": false, "172.16.0.1:5000": false, "registry.local:5000": false,
		"foo.localhost": false, "0.0.0.0:5000": false, "[::]:5000": false, "registry.example": false, "": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestRegistryURLsScheme: the registry's own URLs are https unless the
// registry is on loopback or marked insecure; an RFC 1918 address is no
// exception (go-containerregistry's name.Registry.Scheme says http there).
func TestRegistryURLsScheme(t *testing.T) {
	c := New(Options{Hosts: map[string]HostOptions{"10.1.1.1:5000": {Insecure: true}}})
	t.Cleanup(c.Close)
	for ref, want := range map[string]string{
		"10.9.9.9:5000/a:1":       "https://10.9.9.9:5000/v2/a/manifests/1",
		"192.168.1.2/a:1":         "https://192.168.1.2/v2/a/manifests/1",
		"registry.local:5000/a:1": "https://registry.local:5000/v2/a/manifests/1",
		"10.1.1.1:5000/a:1":       "http://10.1.1.1:5000/v2/a/manifests/1",
		"localhost:5000/a:1":      "http://localhost:5000/v2/a/manifests/1",
		"127.0.0.1:5000/a:1":      "http://127.0.0.1:5000/v2/a/manifests/1",
		"ghcr.io/o/a:1":           "https://ghcr.io/v2/o/a/manifests/1",
	} {
		if got := c.manifestURL(mustParse(t, ref)); got != want {
			t.Errorf("%s: %s, want %s", ref, got, want)
		}
	}
}

// TestGuardRefusesPlainHTTPAwayFromLoopback: a plain-HTTP request to any
// host but loopback is refused before it reaches the transport, unless the
// base is an insecure registry's; HTTPS passes everywhere.
func TestGuardRefusesPlainHTTPAwayFromLoopback(t *testing.T) {
	for _, tt := range []struct {
		url           string
		plainAnywhere bool
		refused       bool
	}{
		{"http://10.9.9.9:5000/v2/", false, true},
		{"http://192.168.1.2/v2/", false, true},
		{"http://registry.local:5000/v2/", false, true},
		{"http://auth.example/token?scope=x", false, true},
		{"http://127.0.0.1:5000/v2/", false, false},
		{"http://localhost:5000/token", false, false},
		{"http://[::1]:5000/v2/", false, false},
		{"https://10.9.9.9:5000/v2/", false, false},
		{"http://10.9.9.9:5000/v2/", true, false},
		{"http://auth.example/token", true, false},
	} {
		inner := &recordingTransport{}
		g := &guardTransport{inner: inner, plainAnywhere: tt.plainAnywhere}
		_, err := g.RoundTrip(hop(t, nil, tt.url, "Basic dXNlcjpwYXNz"))
		var pe *PlainHTTPError
		if got := errors.As(err, &pe); got != tt.refused {
			t.Errorf("%s (insecure %v): error %v, want refused %v", tt.url, tt.plainAnywhere, err, tt.refused)
		}
		if tt.refused && inner.calls.Load() != 0 {
			t.Errorf("%s: the plain-HTTP request reached the transport", tt.url)
		}
	}
}

// tlsFailure answers HTTPS requests with a certificate error and records
// any plain-HTTP request that reaches it.
type tlsFailure struct {
	mu    sync.Mutex
	plain []string
}

func (f *tlsFailure) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		return nil, &url.Error{Op: "Get", URL: req.URL.String(), Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	}
	f.mu.Lock()
	f.plain = append(f.plain, req.URL.String())
	f.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// TestPrivateAddressPingStaysHTTPS: go-containerregistry pings a registry
// on an RFC 1918 address over HTTPS and plain HTTP; over the default base's
// guard the plain-HTTP ping never leaves, and the failure is reported as
// the HTTPS attempt's (TLS), with the fact that plain HTTP was not tried
// and the host that failed.
func TestPrivateAddressPingStaysHTTPS(t *testing.T) {
	inner := &tlsFailure{}
	reg, err := name.NewRegistry("10.9.9.9:5000")
	if err != nil {
		t.Fatal(err)
	}
	if reg.Scheme() != "http" {
		t.Fatalf("go-containerregistry's scheme for %s is %s: this test no longer shows its plain-HTTP fallback", reg, reg.Scheme())
	}
	_, err = transport.Ping(context.Background(), reg, &guardTransport{inner: inner})
	if err == nil {
		t.Fatal("the ping succeeded")
	}
	if len(inner.plain) != 0 {
		t.Errorf("plain-HTTP requests were sent: %v", inner.plain)
	}
	e := classify(err, Error{Registry: "10.9.9.9:5000"})
	if e.Class != ClassTLS || !e.PlainHTTPRefused || e.Host != "10.9.9.9:5000" {
		t.Errorf("classified as %s (plain HTTP refused %v, host %q), want TLS, true, 10.9.9.9:5000: %v", e.Class, e.PlainHTTPRefused, e.Host, err)
	}
}

// TestTLSSettingsStayWithTheirHost: a registry block's TLS settings (its CA,
// or skipping verification) do not reach the registry's token realm on
// another host:port, which fails verification and is named in the error;
// settings of the realm's own host:port apply to it.
func TestTLSSettingsStayWithTheirHost(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	ref := mustParse(t, reg.Host+"/team/app:1")
	skip := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // The setting under test.
	read := func(hosts map[string]HostOptions) error {
		c := New(Options{
			Keychain:  auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: {Username: user, Password: password}})),
			Hosts:     hosts,
			UserAgent: "imageinfo-test",
		})
		defer c.Close()
		_, err := c.Manifest(ctx, ref)
		return err
	}
	for name, hosts := range map[string]map[string]HostOptions{
		"ca_cert_pem":     {reg.Host: {TLS: reg.ClientTLSConfig()}},
		"skip_tls_verify": {reg.Host: {TLS: skip}},
	} {
		reg.TokenRequests.Reset()
		err := read(hosts)
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassTLS || e.Host != reg.TokenHost() {
			t.Errorf("%s for the registry only: %v, want a TLS failure at %s", name, err, reg.TokenHost())
		}
		if n := len(reg.TokenRequests.All()); n != 0 {
			t.Errorf("%s for the registry only: the realm received %d requests", name, n)
		}
	}
	hosts := map[string]HostOptions{reg.Host: {TLS: skip}, reg.TokenHost(): {TLS: reg.ClientTLSConfig()}}
	if err := read(hosts); err != nil {
		t.Errorf("with TLS settings for the realm's host too: %v", err)
	}
}

// TestHostRouterPorts: a block for a host without a port covers that host on
// the scheme's default port and the other way round; another port, or
// another host, gets the default pool. Docker Hub's aliases share a block.
func TestHostRouterPorts(t *testing.T) {
	r := newHostRouter(map[string]HostOptions{
		"registry.example":      {TLS: &tls.Config{ServerName: "a", MinVersion: tls.VersionTLS12}},
		"other.example:443":     {TLS: &tls.Config{ServerName: "b", MinVersion: tls.VersionTLS12}},
		"docker.io":             {TLS: &tls.Config{ServerName: "c", MinVersion: tls.VersionTLS12}},
		"[fd00::5]:443":         {TLS: &tls.Config{ServerName: "d", MinVersion: tls.VersionTLS12}},
		"plain.example":         {Insecure: true},
		"registry.example:5000": {TLS: &tls.Config{ServerName: "e", MinVersion: tls.VersionTLS12}},
	})
	t.Cleanup(r.CloseIdleConnections)
	for raw, want := range map[string]string{
		"https://registry.example/v2/":      "a",
		"https://registry.example:443/v2/":  "a",
		"https://REGISTRY.example/v2/":      "a",
		"https://registry.example:5000/v2/": "e",
		"https://registry.example:8443/v2/": "",
		"https://other.example/v2/":         "b",
		"https://other.example:443/v2/":     "b",
		"https://index.docker.io/v2/":       "c",
		"https://registry-1.docker.io/v2/":  "c",
		"https://auth.docker.io/token":      "",
		"https://[fd00::5]/v2/":             "d",
		"https://plain.example/v2/":         "",
		"https://cdn.example/blob":          "",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if cfg := r.transportFor(u).TLSClientConfig; cfg != nil {
			got = cfg.ServerName
		}
		if got != want {
			t.Errorf("%s: TLS settings %q, want %q", raw, got, want)
		}
	}
	if !strings.Contains((&PlainHTTPError{URL: "http://x"}).Error(), "plain HTTP") {
		t.Error("PlainHTTPError does not say what it refused")
	}
}
