package registry

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// DefaultMaxRetries is how often a request that failed for a passing reason
// (429, 5xx, network) is tried again when Options.MaxRetries is negative.
const DefaultMaxRetries = 3

// Options configure a Client.
type Options struct {
	// Keychain finds the credentials for a repository. Nil means anonymous.
	Keychain authn.Keychain
	// Hosts holds per-registry connection settings, by canonical registry
	// host (see imageref.CanonicalRegistry).
	Hosts map[string]HostOptions
	// MaxRetries bounds the retries of one request; 0 disables them.
	MaxRetries int
	// UserAgent names the provider and its version to registries.
	UserAgent string
	// TagPageSize is how many tags a page of the tag list asks for (`n`);
	// 0 means TagPageSize.
	TagPageSize int
	// Cache, when set, keeps manifests and configs by digest (and the last
	// digest of each tag) across runs. Nil disables it.
	Cache *cache.Store
}

// HostOptions are the connection settings of one registry.
type HostOptions struct {
	// Insecure allows plain HTTP (after HTTPS has been tried, as Docker does
	// for insecure registries).
	Insecure bool
	// TLS, when set, replaces the default TLS settings for this registry:
	// extra trusted CAs, client certificates, or skipping verification.
	TLS *tls.Config
}

// Client resolves references. One Client serves every data source of a
// provider instance, so that pings and tokens are reused across them.
type Client struct {
	opts        Options
	defaultBase http.RoundTripper
	hostBase    map[string]http.RoundTripper
	// transports are the connection pools under the bases, for Close.
	transports []*http.Transport

	mu    sync.Mutex
	repos map[repoKey]*repoTransport
}

type repoKey struct{ registry, repository string }

// repoTransport is the authenticated transport for one repository. It is
// made once, by whichever caller comes first; the others wait for it.
type repoTransport struct {
	once sync.Once
	auth authn.Authenticator
	rt   http.RoundTripper
	err  error
}

// New makes a Client. It does no I/O.
func New(opts Options) *Client {
	if opts.Keychain == nil {
		opts.Keychain = authn.NewMultiKeychain()
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	c := &Client{
		opts:     opts,
		hostBase: map[string]http.RoundTripper{},
		repos:    map[repoKey]*repoTransport{},
	}
	c.defaultBase = c.wrapBase(c.newHTTPTransport(nil))
	for host, h := range opts.Hosts {
		if h.TLS != nil {
			c.hostBase[host] = c.wrapBase(c.newHTTPTransport(h.TLS))
		}
	}
	return c
}

// newHTTPTransport makes a transport of our own, never http.DefaultTransport,
// so that no setting leaks between providers or into other code.
func (c *Client) newHTTPTransport(tlsConfig *tls.Config) *http.Transport {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tlsConfig,
	}
	c.transports = append(c.transports, t)
	return t
}

func (c *Client) wrapBase(t http.RoundTripper) http.RoundTripper {
	t = newGuardTransport(t)
	t = &retryTransport{inner: &oauthFallbackTransport{inner: t}, maxRetries: c.opts.MaxRetries}
	return transport.NewUserAgent(newPingCache(t), c.opts.UserAgent)
}

// Close releases idle connections.
func (c *Client) Close() {
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

func (c *Client) host(registry string) HostOptions { return c.opts.Hosts[registry] }

func (c *Client) repository(ref imageref.Reference) name.Repository {
	return ref.GGCRRepository(c.host(ref.Registry).Insecure)
}

// transport returns the authenticated transport for a repository, pinging
// the registry and fetching a pull token the first time it is asked for.
func (c *Client) transport(ctx context.Context, ref imageref.Reference) (*repoTransport, error) {
	key := repoKey{ref.Registry, ref.Repository}
	c.mu.Lock()
	rt, ok := c.repos[key]
	if !ok {
		rt = &repoTransport{}
		c.repos[key] = rt
	}
	c.mu.Unlock()

	rt.once.Do(func() {
		repo := c.repository(ref)
		rt.auth, rt.err = authn.Resolve(ctx, c.opts.Keychain, repo)
		if rt.err != nil {
			return
		}
		kind, source := auth.Describe(rt.auth)
		tflog.Debug(ctx, "credentials chosen", map[string]any{
			"registry": ref.Registry, "repository": ref.Repository, "kind": kind, "source": source,
		})
		// Only pull scope, ever: this provider reads.
		rt.rt, rt.err = transport.NewWithContext(ctx, repo.Registry, rt.auth, c.base(ref.Registry), []string{repo.Scope(transport.PullScope)})
	})
	if rt.err != nil {
		// Forget a failure so the next data source tries again rather than
		// inheriting, say, a timeout of the first one's context.
		c.mu.Lock()
		if c.repos[key] == rt {
			delete(c.repos, key)
		}
		c.mu.Unlock()
		return rt, rt.err
	}
	return rt, nil
}

// session gives one operation access to its repository's authenticated
// transport, made on first use: an operation the cache answers entirely
// never pings or authenticates.
type session struct {
	c   *Client
	ref imageref.Reference
	rt  *repoTransport
	err error
}

func (c *Client) session(ref imageref.Reference) *session { return &session{c: c, ref: ref} }

func (s *session) transport(ctx context.Context) (*repoTransport, error) {
	if s.rt == nil && s.err == nil {
		s.rt, s.err = s.c.transport(ctx, s.ref)
	}
	return s.rt, s.err
}

// base is the unauthenticated transport for a registry.
func (c *Client) base(registry string) http.RoundTripper {
	if b, ok := c.hostBase[registry]; ok {
		return b
	}
	return c.defaultBase
}
