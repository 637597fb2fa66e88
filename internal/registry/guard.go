package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

const (
	// maxErrorBody bounds what is read of a response that is not a success:
	// error documents are a few hundred bytes, and a registry (or a proxy in
	// front of it) that answers with more is cut off rather than read whole.
	// The body ends there as if complete, so the status still decides the
	// failure class. go-containerregistry reads at most the same.
	maxErrorBody = 64 << 10
	// maxResponseBody bounds any successful response: this provider reads
	// manifests (4 MiB), configs (8 MiB), tag list pages (16 MiB) and tokens,
	// never layers, so a body longer than this is an error, whoever reads it.
	maxResponseBody = 32 << 20
)

// guardTransport is the innermost layer of every base transport: the one
// place that decides where a request may go, whatever built it (our code,
// go-containerregistry's ping, token exchange or redirect handling, or
// net/http following a redirect). It
//
//   - refuses any request to a link-local or cloud metadata address
//     (169.254.0.0/16, fe80::/10, fd00:ec2::/32, 100.100.100.200), named by
//     an IP literal or reached through a host name that resolves to one;
//   - refuses a redirect from HTTPS to plain HTTP, so that neither content nor
//     the registry's view of its own scheme (which decides whether a realm may
//     be plain HTTP) can be downgraded;
//   - refuses plain HTTP to any host but loopback, unless the registry the
//     request is made for is marked insecure (plainAnywhere): below
//     go-containerregistry, which also tries plain HTTP for registries on
//     RFC 1918 addresses and ".local" names, and would send their
//     credentials that way;
//   - removes the Authorization header from a redirect to another origin
//     (scheme, host or port) when it holds a value sent on an earlier hop:
//     credentials minted for the new origin itself, such as
//     go-containerregistry's anonymous token for a redirect target, pass;
//   - cuts off error bodies after maxErrorBody and refuses success bodies
//     longer than maxResponseBody, so that no response is read whole just
//     because a caller drains it.
//
// go-containerregistry checks realms and keeps credentials to the registry's
// own host:port; the guard holds the same line below it, for every request.
type guardTransport struct {
	inner http.RoundTripper
	// plainAnywhere lets plain-HTTP requests go to hosts other than
	// loopback: for the registries marked insecure, and their realms.
	plainAnywhere bool
}

// newGuardTransport wraps inner, letting plain HTTP go to loopback only.
// When inner is an *http.Transport, its DialContext is wrapped too, so that
// a host name resolving to a forbidden address is refused after the
// connection is made and before anything is sent on it: give it a
// transport of its own. (The client's own transports are made with
// guardDial in place: see newHTTPTransport.)
func newGuardTransport(inner http.RoundTripper) *guardTransport {
	if t, ok := inner.(*http.Transport); ok {
		t.DialContext = guardDial(t.DialContext)
	}
	return &guardTransport{inner: inner}
}

// RefusedError is a request the client refused to send, or a connection it
// refused to use, because of where it would have gone.
type RefusedError struct {
	// URL is the destination, without user information or query values.
	URL string
	// Reason says why, as a clause: "... is a link-local address".
	Reason string
}

func (e *RefusedError) Error() string {
	if e.URL == "" {
		return "refused to connect: " + e.Reason
	}
	return "refused to send a request to " + e.URL + ": " + e.Reason
}

// PlainHTTPError is a plain-HTTP request the client refused to send: its
// host is not loopback, and the registry it was made for is not marked
// insecure. go-containerregistry's ping tries plain HTTP beside HTTPS for
// registries on private addresses; this is what its plain-HTTP attempt
// fails with, joined with whatever the HTTPS attempt failed with.
type PlainHTTPError struct {
	// URL is the destination, without user information or query values.
	URL string
}

func (e *PlainHTTPError) Error() string {
	return "refused to send a request to " + e.URL + " over plain HTTP: only loopback and registries marked insecure are spoken to without TLS"
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkDestination(req.URL); err != nil {
		closeRequestBody(req)
		return nil, err
	}
	if prev := previousHop(req); prev != nil {
		if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
			closeRequestBody(req)
			return nil, &RefusedError{URL: redactedURL(req.URL),
				Reason: fmt.Sprintf("it is a redirect from %s, and a redirect never downgrades HTTPS to plain HTTP", redactedURL(prev.URL))}
		}
		if carriesEarlierCredentials(req) {
			req = req.Clone(req.Context())
			req.Header.Del("Authorization")
		}
	}
	if !g.plainAnywhere && !strings.EqualFold(req.URL.Scheme, "https") && !isLoopbackHost(req.URL.Host) {
		closeRequestBody(req)
		return nil, &PlainHTTPError{URL: redactedURL(req.URL)}
	}
	resp, err := g.inner.RoundTrip(req)
	if err != nil || resp == nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body = &cappedBody{rc: resp.Body, left: maxErrorBody, truncate: true}
	} else {
		resp.Body = &cappedBody{rc: resp.Body, left: maxResponseBody}
	}
	return resp, nil
}

// CloseIdleConnections lets the client release the connections of the
// transport below.
func (g *guardTransport) CloseIdleConnections() {
	if ci, ok := g.inner.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// previousHop is the request whose redirect led to req, or nil when req is
// not a redirect.
func previousHop(req *http.Request) *http.Request {
	if req.Response == nil {
		return nil
	}
	return req.Response.Request
}

// carriesEarlierCredentials reports whether req goes to an origin other than
// the one its redirect chain started at, with an Authorization value that an
// earlier hop carried.
func carriesEarlierCredentials(req *http.Request) bool {
	sent := req.Header.Values("Authorization")
	if len(sent) == 0 {
		return false
	}
	first := req
	for hop := previousHop(req); hop != nil; hop = previousHop(hop) {
		first = hop
	}
	if sameOrigin(first.URL, req.URL) {
		return false
	}
	for hop := previousHop(req); hop != nil; hop = previousHop(hop) {
		for _, earlier := range hop.Header.Values("Authorization") {
			for _, s := range sent {
				if s == earlier {
					return true
				}
			}
		}
	}
	return false
}

// sameOrigin compares scheme, host and port, with the scheme's default port
// for an absent one.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// checkDestination refuses URLs that name a forbidden address, and schemes
// other than HTTP(S).
func checkDestination(u *url.URL) error {
	if u == nil {
		return &RefusedError{Reason: "the request has no URL"}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return &RefusedError{URL: redactedURL(u), Reason: fmt.Sprintf("scheme %q is neither https nor http", u.Scheme)}
	}
	if addr, ok := parseHostIP(u.Hostname()); ok {
		if why := forbiddenAddr(addr); why != "" {
			return &RefusedError{URL: redactedURL(u), Reason: addr.String() + " is " + why}
		}
	}
	return nil
}

func parseHostIP(host string) (netip.Addr, bool) {
	host, _, _ = strings.Cut(host, "%") // the dialer ignores zones; so must the check
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.WithZone("").Unmap(), true
}

// metadataAddrs are cloud instance metadata services outside the link-local
// ranges: AWS's IPv6 services (IMDS fd00:ec2::254, DNS, NTP) and Alibaba
// Cloud's metadata service. The IPv4 ones of AWS, Azure, GCP, OCI and
// others (169.254.169.254, ECS 169.254.170.2) are link-local.
var metadataAddrs = []netip.Prefix{
	netip.MustParsePrefix("fd00:ec2::/32"),
	netip.MustParsePrefix("100.100.100.200/32"),
}

// forbiddenAddr says why no request may go to addr, or "" when it may.
// Loopback and private addresses stay allowed: registries run there.
func forbiddenAddr(addr netip.Addr) string {
	addr = addr.WithZone("").Unmap()
	if addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() {
		return "a link-local address, where cloud metadata services live"
	}
	for _, p := range metadataAddrs {
		if p.Contains(addr) {
			return "a cloud metadata address"
		}
	}
	return ""
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// guardDial checks the address a connection actually reached, after name
// resolution and before the TLS handshake or any request byte: a host name
// that resolves to a metadata address is refused like the address itself.
func guardDial(dial dialFunc) dialFunc {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if remote, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
			if ap := remote.AddrPort(); ap.IsValid() {
				if why := forbiddenAddr(ap.Addr()); why != "" {
					conn.Close()
					return nil, &RefusedError{Reason: fmt.Sprintf("%s resolved to %s, which is %s", addr, ap.Addr(), why)}
				}
			}
		}
		return conn, nil
	}
}

// redactedURL shows where a request went without what may be secret in its
// URL: user information and query values (presigned URLs carry signatures).
func redactedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := *u
	r.User = nil
	r.RawQuery, r.Fragment, r.RawFragment = "", "", ""
	if u.RawQuery != "" {
		return r.String() + "?…"
	}
	return r.String()
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// errBodyTooLarge is a success response longer than maxResponseBody.
var errBodyTooLarge = errors.New("the response is longer than the largest document this provider reads")

// cappedBody reads at most left bytes of rc. With truncate it then reports
// the end of the body; without, an error.
type cappedBody struct {
	rc       io.ReadCloser
	left     int64
	truncate bool
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if c.truncate {
			return 0, io.EOF
		}
		// One byte more tells a body of exactly the limit from a longer one.
		var b [1]byte
		n, err := c.rc.Read(b[:])
		if n > 0 {
			return 0, malformedf("%w (%d bytes)", errBodyTooLarge, maxResponseBody)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }
