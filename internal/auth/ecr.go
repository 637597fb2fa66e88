package auth

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
)

// ecrAuthenticator gives the password of an ECR Source, fetched through
// GetAuthorizationToken and cached until shortly before it expires, and
// says where it comes from. A failure to get the password is a
// *CredentialError wrapping the *ecr.Error.
type ecrAuthenticator struct {
	src    *ecr.Source
	origin Origin
}

var (
	_ authn.Authenticator        = ecrAuthenticator{}
	_ authn.ContextAuthenticator = ecrAuthenticator{}
)

func newECRAuthenticator(src *ecr.Source, origin string) ecrAuthenticator {
	what := fmt.Sprintf("ECR GetAuthorizationToken in %s", src.Region())
	if src.Public() {
		what = "ECR Public GetAuthorizationToken in " + src.Region()
	}
	return ecrAuthenticator{src: src, origin: Origin{Kind: KindECR, Source: what + " (" + origin + ")"}}
}

func (a ecrAuthenticator) Authorization() (*authn.AuthConfig, error) {
	return a.AuthorizationContext(context.Background())
}

func (a ecrAuthenticator) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	c, err := a.src.Authorization(ctx)
	if err != nil {
		return nil, &CredentialError{Registry: a.src.Host(), Source: a.origin.Source, Err: err}
	}
	return &c, nil
}

// Invalidate is called when the registry refused the password: the next
// request gets a fresh one, once, however many requests were refused.
func (a ecrAuthenticator) Invalidate(refused *authn.AuthConfig) {
	if refused != nil {
		a.src.Invalidate(refused.Password)
	}
}

// ECRHosts is the keychain step for ECR hostnames that nothing else
// configured: the password comes from GetAuthorizationToken with the default
// AWS credential chain. Other hosts, and ECR Public (which serves anonymous
// pulls), are left to the next step.
type ECRHosts struct {
	Cache *ecr.Cache
}

// Resolve implements authn.Keychain.
func (k ECRHosts) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	if _, ok := ecr.ParseHost(host); !ok {
		return authn.Anonymous, nil
	}
	src, err := k.Cache.Source(ecr.Config{}, host)
	if err != nil {
		return nil, err
	}
	return newECRAuthenticator(src, "default AWS credential chain, chosen by the ECR hostname"), nil
}
