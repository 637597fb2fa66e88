package registry

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// Which scheme a registry is spoken to with, and which TLS settings a request
// gets. Both are decided here, per host, and nowhere else.

// plainHTTPAllowed reports whether registry may be spoken to over plain
// HTTP: when its registry block says insecure, or when it is on loopback
// (where go-containerregistry tries HTTPS, then HTTP). Every other registry,
// RFC 1918 addresses and ".local" names included, is spoken to over HTTPS
// only, whatever go-containerregistry's own scheme rule says; the guard
// holds the same line for every request (see guardTransport).
func (c *Client) plainHTTPAllowed(registry string) bool {
	return c.host(registry).Insecure || isLoopbackHost(registry)
}

// v2URL is the URL of path under ref's repository in the registry's API:
// https://<registry>/v2/<repository>/<path>, or http:// for a registry that
// may be spoken to over plain HTTP. (go-containerregistry then uses the
// scheme its ping found for the registry's own host.)
func (c *Client) v2URL(ref imageref.Reference, path string) string {
	scheme := "https"
	if c.plainHTTPAllowed(ref.Registry) {
		scheme = "http"
	}
	repo := c.repository(ref)
	return fmt.Sprintf("%s://%s/v2/%s/%s", scheme, repo.RegistryStr(), repo.RepositoryStr(), path)
}

// isLoopbackHost reports whether host[:port] names the loopback interface:
// "localhost", or an IP address in 127.0.0.0/8 or ::1.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, ok := parseHostIP(host)
	return ok && addr.IsLoopback()
}

// hostRouter is the bottom of every base stack: it sends each request
// through the connection pool of its destination host's TLS settings. A
// registry block's TLS settings (extra CAs, a client certificate, skipping
// verification) apply to requests to that block's host:port only; a token
// realm or redirect target elsewhere gets the default verification, unless
// a block of its own (with only TLS settings, say) names its host:port.
// go-containerregistry and Docker use the registry's TLS settings for its
// realm too: here a skip_tls_verify or a private CA never reaches a host
// the user did not name.
type hostRouter struct {
	byHost   map[string]*http.Transport
	fallback *http.Transport
}

func (r *hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	return r.transportFor(req.URL).RoundTrip(req)
}

// transportFor finds the transport of u's host: by its canonical registry
// name (so Docker Hub's aliases share docker.io's block), with or without
// the scheme's default port.
func (r *hostRouter) transportFor(u *url.URL) *http.Transport {
	host := imageref.CanonicalRegistry(u.Host)
	if t, ok := r.byHost[host]; ok {
		return t
	}
	var other string
	switch port, def := u.Port(), defaultPort(u.Scheme); {
	case port == "" && def != "":
		other = net.JoinHostPort(u.Hostname(), def)
	case port != "" && port == def:
		other = u.Hostname()
		if strings.Contains(other, ":") {
			other = "[" + other + "]"
		}
	}
	if t, ok := r.byHost[imageref.CanonicalRegistry(other)]; ok && other != "" {
		return t
	}
	return r.fallback
}

func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// CloseIdleConnections passes Client.Close through to every pool.
func (r *hostRouter) CloseIdleConnections() {
	r.fallback.CloseIdleConnections()
	for _, t := range r.byHost {
		t.CloseIdleConnections()
	}
}

// newHTTPTransport is a connection pool of this package's own (never
// http.DefaultTransport) with tlsConfig (nil for the defaults: the system's
// trusted CAs), whose connections guardDial checks.
func newHTTPTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: guardDial((&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tlsConfig,
	}
}

// newHostRouter makes one pool for the defaults and one per registry block
// with TLS settings.
func newHostRouter(hosts map[string]HostOptions) *hostRouter {
	r := &hostRouter{byHost: map[string]*http.Transport{}, fallback: newHTTPTransport(nil)}
	for host, h := range hosts {
		if h.TLS != nil {
			r.byHost[host] = newHTTPTransport(h.TLS)
		}
	}
	return r
}
