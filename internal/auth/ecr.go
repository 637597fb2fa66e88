package auth

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
)

// ecrAuthenticator gives the password of an ECR Source, fetched through
// GetAuthorizationToken and cached until shortly before it expires, and
// says where it comes from.
type ecrAuthenticator struct {
	described
	src *ecr.Source
}

func newECRAuthenticator(src *ecr.Source, origin string) ecrAuthenticator {
	what := fmt.Sprintf("ECR GetAuthorizationToken in %s", src.Region())
	if src.Public() {
		what = "ECR Public GetAuthorizationToken in " + src.Region()
	}
	return ecrAuthenticator{described: described{inner: src.Authenticator(), kind: KindECR, source: what + " (" + origin + ")"}, src: src}
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
