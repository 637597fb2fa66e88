package registry

import (
	"context"
	"crypto/tls"
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
	// for insecure registries), to the registry and to the hosts it sends
	// the client to. Without it, only a registry on loopback is spoken to
	// over plain HTTP.
	Insecure bool
	// TLS, when set, replaces the default TLS settings for requests to this
	// host:port, and to no other: extra trusted CAs, client certificates,
	// or skipping verification. A token realm elsewhere that needs them
	// gets HostOptions of its own.
	TLS *tls.Config
}

// Client resolves references. One Client serves every data source of a
// provider instance, so that pings and tokens are reused across them.
type Client struct {
	opts Options
	// router holds the connection pools, one per TLS configuration, under
	// both bases.
	router *hostRouter
	// defaultBase serves every registry but those marked insecure, which
	// insecureBase serves: the one may speak plain HTTP to loopback only,
	// the other anywhere.
	defaultBase, insecureBase *base

	// repos holds each repository's authenticated transport, made once by
	// whichever caller comes first while the others wait for it, and made
	// again the same way once it is stale.
	repos memo.Map[repoKey, *repoTransport]
	// realmNotes remembers the realm changes logged (see tokenWatch).
	realmNotes sync.Map
	// now is the clock tokens expire by: time.Now, but for tests.
	now func() time.Time
	// noReferrers remembers the registries without a referrers API.
	noReferrers noReferrersAPI
	// limits remembers the pull limits already warned about.
	limits rateLimits
}

type repoKey struct{ registry, repository string }

// repoTransport is the authenticated transport for one repository.
type repoTransport struct {
	auth  authn.Authenticator
	rt    http.RoundTripper
	watch *tokenWatch
}

// stale reports whether the transport is to be built again before its next
// request: its token expires soon, or the registry refused it.
func (t *repoTransport) stale() bool { return t.watch != nil && t.watch.stale() }

// New makes a Client. It does no I/O.
func New(opts Options) *Client {
	if opts.Keychain == nil {
		opts.Keychain = authn.NewMultiKeychain()
	}
	c := &Client{opts: opts, router: newHostRouter(opts.Hosts), now: time.Now}
	c.defaultBase = c.newBase(false)
	c.insecureBase = c.newBase(true)
	return c
}

// Close releases idle connections.
func (c *Client) Close() {
	c.router.CloseIdleConnections()
}

func (c *Client) host(registry string) HostOptions { return c.opts.Hosts[registry] }

func (c *Client) repository(ref imageref.Reference) name.Repository {
	return ref.GGCRRepository(c.host(ref.Registry).Insecure)
}

// base is the unauthenticated transport stack for a registry.
func (c *Client) base(registry string) *base {
	if c.host(registry).Insecure {
		return c.insecureBase
	}
	return c.defaultBase
}

// transport returns the authenticated transport for a repository, pinging
// the registry and fetching a pull token the first time it is asked for. A
// failure is not kept: the next data source tries again rather than
// inheriting, say, a timeout of the first one's context. A transport whose
// token expires soon, or was refused, is built again by the first caller
// that finds it so, and every caller that found the same one waits for that
// one renewal: the ping answer is kept, so it costs one token request
// however many readers there are.
func (c *Client) transport(ctx context.Context, ref imageref.Reference) (*repoTransport, error) {
	key := repoKey{ref.Registry, ref.Repository}
	rt, err := c.repos.Get(key, func() (*repoTransport, error) { return c.authenticate(ctx, ref, nil) })
	if err != nil || !rt.stale() {
		return rt, err
	}
	c.repos.Forget(key, func(kept *repoTransport) bool { return kept == rt })
	return c.repos.Get(key, func() (*repoTransport, error) { return c.authenticate(ctx, ref, rt.auth) })
}

// authenticate builds a repository's transport with a, or with the
// credentials the keychain finds for it when a is nil.
func (c *Client) authenticate(ctx context.Context, ref imageref.Reference, a authn.Authenticator) (*repoTransport, error) {
	repo := c.repository(ref)
	if a == nil {
		var err error
		if a, err = authn.Resolve(ctx, c.opts.Keychain, repo); err != nil {
			return &repoTransport{}, err
		}
		origin := auth.OriginOf(a)
		tflog.Debug(ctx, "credentials chosen", map[string]any{
			"registry": ref.Registry, "repository": ref.Repository, "kind": origin.Kind, "source": origin.Source,
		})
	} else {
		tflog.Debug(ctx, "renewing the repository's token", map[string]any{"registry": ref.Registry, "repository": ref.Repository})
	}
	w := &tokenWatch{inner: c.base(ref.Registry).pings, registry: repo.RegistryStr(), now: c.now, notes: &c.realmNotes}
	w.building.Store(true)
	defer w.building.Store(false)
	// Only pull scope, ever: this provider reads.
	rt, err := transport.NewWithContext(ctx, repo.Registry, a, transport.NewUserAgent(w, c.opts.UserAgent), []string{repo.Scope(transport.PullScope)})
	return &repoTransport{auth: a, rt: rt, watch: w}, err
}
