package registry

import (
	"context"
	"crypto/tls"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/memo"
)

// DefaultMaxRetries is how often a request that failed for a passing reason
// (429, 5xx, network) is tried again when the provider configuration does
// not say.
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
	defaultBase *base
	hostBase    map[string]*base
	// transports are the connection pools under the bases, for Close.
	transports []*http.Transport

	// repos holds each repository's authenticated transport, made once by
	// whichever caller comes first while the others wait for it.
	repos memo.Map[repoKey, *repoTransport]

	// limits remembers the pull limits already warned about.
	limits rateLimits
}

type repoKey struct{ registry, repository string }

// repoTransport is the authenticated transport for one repository.
type repoTransport struct {
	auth authn.Authenticator
	rt   http.RoundTripper
}

// New makes a Client. It does no I/O.
func New(opts Options) *Client {
	if opts.Keychain == nil {
		opts.Keychain = authn.NewMultiKeychain()
	}
	c := &Client{opts: opts, hostBase: map[string]*base{}}
	c.defaultBase = c.newBase(nil)
	for host, h := range opts.Hosts {
		if h.TLS != nil {
			c.hostBase[host] = c.newBase(h.TLS)
		}
	}
	return c
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

// base is the unauthenticated transport stack for a registry.
func (c *Client) base(registry string) *base {
	if b, ok := c.hostBase[registry]; ok {
		return b
	}
	return c.defaultBase
}

// transport returns the authenticated transport for a repository, pinging
// the registry and fetching a pull token the first time it is asked for. A
// failure is not kept: the next data source tries again rather than
// inheriting, say, a timeout of the first one's context.
func (c *Client) transport(ctx context.Context, ref imageref.Reference) (*repoTransport, error) {
	return c.repos.Get(repoKey{ref.Registry, ref.Repository}, func() (*repoTransport, error) {
		repo := c.repository(ref)
		a, err := authn.Resolve(ctx, c.opts.Keychain, repo)
		if err != nil {
			return &repoTransport{}, err
		}
		origin := auth.OriginOf(a)
		tflog.Debug(ctx, "credentials chosen", map[string]any{
			"registry": ref.Registry, "repository": ref.Repository, "kind": origin.Kind, "source": origin.Source,
		})
		// Only pull scope, ever: this provider reads.
		rt, err := transport.NewWithContext(ctx, repo.Registry, a, c.base(ref.Registry).rt, []string{repo.Scope(transport.PullScope)})
		return &repoTransport{auth: a, rt: rt}, err
	})
}
