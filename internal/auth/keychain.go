// Package auth turns the provider's credential settings into an
// authn.Keychain: the one place that decides which credentials a request to
// a registry carries.
//
// Which protocol those credentials are spoken in (Basic, a token from a
// Bearer realm) is decided by the registry's challenge, in
// go-containerregistry, never by the host name.
package auth

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// Credentials are what a provider `registry` block holds. At most one kind
// is set; the provider validates that before it gets here.
type Credentials struct {
	Username string
	Password string
	// Token is a registry bearer token, sent as is.
	Token string
	// IdentityToken is an OAuth2 refresh token for the registry's token
	// realm (what `docker login` stores as identitytoken).
	IdentityToken string
	// ECR, when set, gets the password from GetAuthorizationToken.
	ECR *ecr.Source
}

// Empty reports whether c holds no credentials, in which case the block only
// carries connection settings and the lookup goes on to the next source.
func (c Credentials) Empty() bool {
	return c.Username == "" && c.Password == "" && c.Token == "" && c.IdentityToken == "" && c.ECR == nil
}

func (c Credentials) authenticator(registry string) authn.Authenticator {
	origin := fmt.Sprintf("the provider's registry block for %q", registry)
	switch {
	case c.ECR != nil:
		return newECRAuthenticator(c.ECR, origin)
	case c.Token != "":
		return fromConfig(authn.AuthConfig{RegistryToken: c.Token}, "token from "+origin)
	case c.IdentityToken != "":
		return fromConfig(withIdentityTokenPassword(authn.AuthConfig{IdentityToken: c.IdentityToken}), "identity token from "+origin)
	}
	return fromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password}, "username/password from "+origin)
}

// Kind names the kind of credentials c holds (a Kind constant), for logs;
// KindAnonymous when it holds none.
func (c Credentials) Kind() string {
	switch {
	case c.ECR != nil:
		return KindECR
	case c.IdentityToken != "":
		return KindIdentityToken
	case c.Token != "":
		return KindToken
	case c.Username != "" || c.Password != "":
		return KindBasic
	}
	return KindAnonymous
}

// Static is a keychain of credentials given per registry.
type Static struct {
	byRegistry map[string]authn.Authenticator
}

// NewStatic makes a keychain from credentials keyed by canonical registry
// (imageref.NormalizeAddress). Registries with empty credentials are left
// out, so that they fall through to the next keychain.
func NewStatic(creds map[string]Credentials) *Static {
	s := &Static{byRegistry: map[string]authn.Authenticator{}}
	for reg, c := range creds {
		if !c.Empty() {
			canonical := imageref.CanonicalRegistry(reg)
			s.byRegistry[canonical] = c.authenticator(canonical)
		}
	}
	return s
}

// Resolve implements authn.Keychain. go-containerregistry names Docker Hub
// index.docker.io; the lookup is by canonical name so that every alias
// finds the same block.
func (s *Static) Resolve(target authn.Resource) (authn.Authenticator, error) {
	if a, ok := s.byRegistry[imageref.CanonicalRegistry(target.RegistryStr())]; ok {
		return a, nil
	}
	return authn.Anonymous, nil
}

// Keychain is the full lookup, first match wins: the provider's registry
// blocks, then each further source in order (Docker config, ECR), then
// anonymous.
func Keychain(static *Static, more ...authn.Keychain) authn.Keychain {
	return authn.NewMultiKeychain(append([]authn.Keychain{static}, more...)...)
}
