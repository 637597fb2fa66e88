package auth

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Credential kinds, as Origin reports them and the provider logs them.
const (
	KindBasic         = "basic"
	KindToken         = "token"
	KindIdentityToken = "identity token"
	KindECR           = "ecr"
	KindAnonymous     = "anonymous"
)

// Origin says what kind of credentials a request carries and where they come
// from, never what they are, so that a refusal can be explained ("the registry
// block's username/password") without showing a secret.
type Origin struct {
	// Kind is one of the Kind constants, or "unknown".
	Kind string
	// Source names where the credentials come from, for diagnostics.
	Source string
	// Username is the user name sent, when the credentials have a fixed one.
	// It is not a secret, and it is not shown: it serves to recognise
	// mistakes, such as an AWS access key id given as a registry username.
	Username string
}

// described wraps an authenticator with its Origin.
type described struct {
	inner  authn.Authenticator
	origin Origin
}

var (
	_ authn.Authenticator        = described{}
	_ authn.ContextAuthenticator = described{}
)

func (d described) Authorization() (*authn.AuthConfig, error) { return d.inner.Authorization() }

func (d described) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	return authn.Authorization(ctx, d.inner)
}

// OriginOf reports the Origin of an authenticator's credentials, without any
// I/O: ours say, anonymous is anonymous, anything else is "unknown".
func OriginOf(a authn.Authenticator) Origin {
	switch d := a.(type) {
	case described:
		return d.origin
	case ecrAuthenticator:
		return d.origin
	}
	if a == authn.Anonymous {
		return Origin{Kind: KindAnonymous, Source: "no credentials (anonymous)"}
	}
	return Origin{Kind: "unknown", Source: "unknown"}
}

// fromConfig describes fixed credentials, choosing their kind from what they
// hold.
func fromConfig(cfg authn.AuthConfig, source string) described {
	kind := KindBasic
	switch {
	case cfg.RegistryToken != "":
		kind = KindToken
	case cfg.IdentityToken != "":
		kind = KindIdentityToken
	}
	return described{authn.FromConfig(cfg), Origin{Kind: kind, Source: source, Username: cfg.Username}}
}

// identityTokenUser is the user name Docker pairs with an identity token.
const identityTokenUser = "<token>"

// withIdentityTokenPassword makes an identity token usable by token servers
// without the OAuth2 refresh-token POST: the token spec's GET sends it as the
// password of Docker's "<token>" user (or of the user given), which is what
// registries without OAuth2 (ACR among them) accept. The OAuth2 POST still
// sends it as refresh_token.
func withIdentityTokenPassword(cfg authn.AuthConfig) authn.AuthConfig {
	if cfg.IdentityToken != "" && cfg.Password == "" {
		cfg.Password = cfg.IdentityToken
		if cfg.Username == "" {
			cfg.Username = identityTokenUser
		}
	}
	return cfg
}

// CredentialError is a failure to obtain credentials (a credential helper
// that is missing or fails, a config file that does not parse, an ECR API
// call that fails), as opposed to a registry refusing them.
type CredentialError struct {
	Registry string
	Source   string
	Err      error
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("getting credentials for %s from %s: %v", e.Registry, e.Source, e.Err)
}

func (e *CredentialError) Unwrap() error { return e.Err }
