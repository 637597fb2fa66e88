package auth

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Credential kinds, as Describe reports them.
const (
	KindBasic         = "basic"
	KindToken         = "token"
	KindIdentityToken = "identity token"
	KindECR           = "ecr"
	KindAnonymous     = "anonymous"
)

// described wraps an authenticator with where its credentials come from, so
// that a refusal can be explained ("the registry block's username/password")
// without ever showing the credentials.
type described struct {
	inner  authn.Authenticator
	kind   string
	source string
}

var (
	_ authn.Authenticator        = described{}
	_ authn.ContextAuthenticator = described{}
)

func (d described) Authorization() (*authn.AuthConfig, error) { return d.inner.Authorization() }

func (d described) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	return authn.Authorization(ctx, d.inner)
}

// Describe says what kind of credentials these are and where they come from.
func (d described) Describe() (kind, source string) { return d.kind, d.source }

// Describe reports the kind and source of an authenticator's credentials:
// ours say, anonymous is anonymous, anything else is "unknown".
func Describe(a authn.Authenticator) (kind, source string) {
	if d, ok := a.(interface{ Describe() (string, string) }); ok {
		return d.Describe()
	}
	if a == authn.Anonymous {
		return KindAnonymous, "no credentials (anonymous)"
	}
	return "unknown", "unknown"
}
