package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAccHardening_CredentialKinds reads with every kind of credential the
// provider holds, right and wrong, so that the log search at the end covers
// them all: passwords at a realm and in Basic, a static token, an identity
// (refresh) token, the Docker config's auths, and ECR with AWS keys.
func TestAccHardening_CredentialKinds(t *testing.T) {
	secrets, ok := hardeningSetup(t)
	if !ok {
		return
	}
	const (
		kindsPass    = "kinds-pw-7d2b90"
		basicPass    = "kinds-basic-pw-41ce"
		refresh      = "rt-kinds-identity-58af"
		dockerUser   = "docker-user"
		dockerPass   = "kinds-dockercfg-pw-c3e1"
		wrongPass    = "kinds-wrong-pw-0b7e"
		wrongRefresh = "rt-kinds-wrong-6d14"
	)
	for _, s := range []string{kindsPass, basicPass, refresh, dockerPass, wrongPass, wrongRefresh, ecrSecret,
		basicAuth(hardUser, kindsPass), basicAuth(hardUser, basicPass), basicAuth(dockerUser, dockerPass), basicAuth(hardUser, wrongPass)} {
		secrets.Add(s)
	}
	// Token registries whose realm is a proxy that records every token
	// (and refresh token) the token server issues.
	tokenRegistry := func(name string, opts registrytest.Options) *registrytest.Registry {
		var realm *registrytest.Origin
		opts.Auth, opts.Wrap = registrytest.AuthToken, realmAt(&realm)
		reg := registrytest.New(t, opts)
		realm = recordingRealm(t, reg, nil, secrets)
		push(t, reg, "kinds/"+name+":1")
		return reg
	}
	password := tokenRegistry("password", registrytest.Options{Users: map[string]string{hardUser: kindsPass}})
	identity := tokenRegistry("identity", registrytest.Options{RefreshTokens: map[string]string{refresh: hardUser}})
	static := tokenRegistry("static", registrytest.Options{Users: map[string]string{hardUser: kindsPass}})
	basic := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{hardUser: basicPass}})
	push(t, basic, "kinds/basic:1")
	docker := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{dockerUser: dockerPass}})
	push(t, docker, "kinds/docker:1")
	dockerCfg := dockerConfig(t, map[string]any{"auths": map[string]any{docker.Host: map[string]string{"auth": basicAuth(dockerUser, dockerPass)}}})
	isolateAWS(t)
	api := ecrAPI(t)
	ecrReg := ecrRegistry(t, api)

	// A token obtained elsewhere, for the token attribute.
	token := fetchToken(t, static, "kinds/static", hardUser, kindsPass)
	secrets.Add(token)

	settings := noCache + "  docker_config_path = " + q(dockerCfg) + "\n"
	block := func(reg *registrytest.Registry, attrs ...string) string {
		return registryBlock(append([]string{"address", q(reg.Host)}, attrs...)...)
	}
	ecrKeys := ecrBlock(ecrReg, "region", q(ecrRegion), "registry_id", q(ecrAccount), "access_key", q(ecrKeyID), "secret_key", q(ecrSecret), "endpoint", q(api.URL))
	reads := map[string]string{}
	for name, reg := range map[string]*registrytest.Registry{"password": password, "identity": identity, "static": static, "basic": basic, "docker": docker} {
		reads[name] = reg.Host + "/kinds/" + name + ":1"
	}
	reads["ecr"] = ecrReg.Host + "/team/app:1"
	f := &failures{secrets: secrets}
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		for _, pw := range api.Passwords() {
			secrets.Add(pw)
			secrets.Add(basicAuth("AWS", pw))
		}
		if len(api.Passwords()) == 0 && !t.Failed() {
			t.Error("no ECR password was issued: the ECR read proves nothing")
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(settings, block(password, "username", q(hardUser), "password", q(wrongPass)), block(identity, "identity_token", q(wrongRefresh)))+
			manifestConfig(map[string]string{"password": reads["password"], "identity": reads["identity"]}),
			expectDiag("kinds/password", `Registry Authentication Failed`),
			expectDiag("kinds/identity", `Registry Authentication Failed`),
		),
		okStep(secrets, providerConfig(settings,
			block(password, "username", q(hardUser), "password", q(kindsPass)),
			block(identity, "identity_token", q(refresh)),
			block(static, "token", q(token)),
			block(basic, "username", q(hardUser), "password", q(basicPass)),
			ecrKeys,
		)+manifestConfig(reads), readsOK(reads)...),
	)
}

func readsOK(reads map[string]string) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for name := range reads {
		checks = append(checks, readOK(name)...)
	}
	return checks
}
