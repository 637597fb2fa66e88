package provider

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestAccCredentials_DockerConfigAuths: a user who ran `docker login` needs
// no provider configuration; each form of an auths entry works, and
// docker_config = false turns the file off.
func TestAccCredentials_DockerConfigAuths(t *testing.T) {
	reg := privateRegistry(t, registrytest.Options{})
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	path := dockerConfig(t, map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": basicAuth(testUser, testPassword)}}})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					dockerConfig(t, map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": basicAuth(testUser, testPassword)}}})
				},
				Config:            providerConfig("") + data,
				ConfigStateChecks: readOK("app"),
			},
			{
				// A scheme in the key, and username/password fields, as older Docker versions wrote.
				PreConfig: func() {
					dockerConfig(t, map[string]any{"auths": map[string]any{"https://" + reg.Host: map[string]string{"username": testUser, "password": testPassword}}})
				},
				Config:            providerConfig("") + data,
				ConfigStateChecks: readOK("app"),
			},
			{
				// docker_config_path wins over DOCKER_CONFIG.
				PreConfig:         func() { dockerConfig(t, map[string]any{}) },
				Config:            providerConfig("  docker_config_path = "+q(path)+"\n") + data,
				ConfigStateChecks: readOK("app"),
			},
			{
				Config:      providerConfig("  docker_config = false\n  docker_config_path = "+q(path)+"\n") + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*No credentials were configured`),
			},
			{
				// A malformed file is an error that names it, not a silent fallback to anonymous.
				PreConfig: func() {
					dir := t.TempDir()
					if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600); err != nil {
						t.Fatal(err)
					}
					t.Setenv("DOCKER_CONFIG", dir)
				},
				Config:      providerConfig("") + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Credentials Unavailable.*config.json`),
			},
		},
	})
}

// TestAccCredentials_IdentityToken: an OAuth2 refresh token, from a registry
// block or the Docker config, is exchanged at the realm by POST; where the
// token server has no OAuth2 POST, by GET.
func TestAccCredentials_IdentityToken(t *testing.T) {
	const refresh = "rt-identity-token-3c9d"
	oauth := privateRegistry(t, registrytest.Options{RefreshTokens: map[string]string{refresh: testUser}})
	noPOST := privateRegistry(t, registrytest.Options{RefreshTokens: map[string]string{refresh: testUser}, DisableOAuthPOST: true})
	data := manifestConfig(map[string]string{"oauth": oauth.Host + "/team/app:1", "noPOST": noPOST.Host + "/team/app:1"})
	blocks := registryBlock("address", q(oauth.Host), "identity_token", q(refresh)) + registryBlock("address", q(noPOST.Host), "identity_token", q(refresh))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("", blocks) + data,
				ConfigStateChecks: append(readOK("oauth"), readOK("noPOST")...),
			},
			{
				PreConfig: func() {
					dockerConfig(t, map[string]any{"auths": map[string]any{
						oauth.Host:  map[string]string{"auth": basicAuth("<token>", ""), "identitytoken": refresh},
						noPOST.Host: map[string]string{"auth": basicAuth("00000000-0000-0000-0000-000000000000", ""), "identitytoken": refresh},
					}})
				},
				Config:            providerConfig("") + data,
				ConfigStateChecks: append(readOK("oauth"), readOK("noPOST")...),
			},
			{
				Config:      providerConfig("", registryBlock("address", q(oauth.Host), "identity_token", q("rt-wrong"))) + manifestConfig(map[string]string{"x": oauth.Host + "/team/app:1"}),
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*identity token`),
			},
		},
	})
	if n := countMethod(oauth.TokenRequests.All(), "POST"); n == 0 {
		t.Error("the OAuth2 token server never received the refresh-token POST")
	}
	if n := countMethod(noPOST.TokenRequests.All(), "GET"); n == 0 {
		t.Error("the token server without OAuth2 never received the fallback GET")
	}
	for _, r := range append(oauth.Requests.All(), noPOST.Requests.All()...) {
		if r.AuthScheme == "Basic" {
			t.Errorf("the registry itself received Basic credentials at %s", r.Path)
		}
	}
}

// TestAccCredentials_Helpers: credHelpers and credsStore run the helper's
// real protocol; a missing or failing helper gives a diagnostic naming the
// helper and the registry.
func TestAccCredentials_Helpers(t *testing.T) {
	reg := privateRegistry(t, registrytest.Options{})
	dir := registrytest.BuildCredentialHelper(t, "imageinfotest")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	db := filepath.Join(t.TempDir(), "db.json")
	b, _ := json.Marshal(map[string]any{reg.Host: map[string]string{"Username": testUser, "Secret": testPassword}})
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "helper.log")
	t.Setenv("REGISTRYTEST_CREDHELPER_DB", db)
	t.Setenv("REGISTRYTEST_CREDHELPER_LOG", logFile)
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1", "again": reg.Host + "/team/app@" + "sha256:" + strings.Repeat("0", 64)})
	one := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { dockerConfig(t, map[string]any{"credHelpers": map[string]string{reg.Host: "imageinfotest"}}) },
				Config:            providerConfig("") + one,
				ConfigStateChecks: readOK("app"),
			},
			{
				PreConfig:         func() { dockerConfig(t, map[string]any{"credsStore": "imageinfotest"}) },
				Config:            providerConfig("") + one,
				ConfigStateChecks: readOK("app"),
			},
			{
				PreConfig:   func() { dockerConfig(t, map[string]any{"credHelpers": map[string]string{reg.Host: "notinstalled"}}) },
				Config:      providerConfig("") + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Credentials Unavailable.*docker-credential-notinstalled.*` + regexp.QuoteMeta(reg.Host)),
			},
			{
				PreConfig: func() {
					dockerConfig(t, map[string]any{"credHelpers": map[string]string{reg.Host: "imageinfotest"}})
					t.Setenv("REGISTRYTEST_CREDHELPER_FAIL", "keychain is locked")
				},
				Config:      providerConfig("") + one,
				ExpectError: regexp.MustCompile(`(?s)Registry Credentials Unavailable.*docker-credential-imageinfotest.*keychain is locked`),
			},
		},
	})
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), reg.Host) {
		t.Errorf("the helper was never asked for %s:\n%s", reg.Host, log)
	}
	if strings.Contains(string(log), testPassword) {
		t.Error("the helper log holds the secret")
	}
}

// TestAccCredentials_Precedence walks the order in which credentials are
// looked for: a registry block with credentials wins over the Docker config;
// a block with only TLS settings leaves the credentials to the Docker
// config; nothing at all is anonymous.
func TestAccCredentials_Precedence(t *testing.T) {
	reg := privateRegistry(t, registrytest.Options{TLS: true})
	ca := heredoc(strings.TrimSpace(string(reg.CAPEM)))
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	// The token server is another host (localhost, another port) with a
	// certificate from the same CA: it gets a block with only that CA too.
	realm := caBlock(reg, reg.TokenHost())
	withDocker := func(password string) func() {
		return func() {
			dockerConfig(t, map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": basicAuth(testUser, password)}}})
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				// Block right, Docker config wrong: the block is used.
				PreConfig:         withDocker("wrong"),
				Config:            providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca, "username", q(testUser), "password", q(testPassword)), realm) + data,
				ConfigStateChecks: readOK("app"),
			},
			{
				// Block wrong, Docker config right: still the block, and its failure is reported.
				PreConfig:   withDocker(testPassword),
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca, "username", q(testUser), "password", q("wrong")), realm) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*username/password\s+from\s+the\s+provider's\s+registry\s+block`),
			},
			{
				// A block with only TLS settings: the Docker config gives the credentials.
				PreConfig:         withDocker(testPassword),
				Config:            providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca), realm) + data,
				ConfigStateChecks: readOK("app"),
			},
			{
				// The Docker config's credentials are refused: the diagnostic says where they came from.
				PreConfig:   withDocker("wrong"),
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca), realm) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*auths in the Docker\s+config`),
			},
			{
				PreConfig:   func() { dockerConfig(t, map[string]any{}) },
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca), realm) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*No credentials were configured`),
			},
		},
	})
}

// TestAccCredentials_ClientCertificate: a registry that requires a client
// certificate is read with client_cert_pem and client_key_pem, and refused
// without them.
func TestAccCredentials_ClientCertificate(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{TLS: true, RequireClientCert: true})
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	cert, key, err := reg.ClientCertificatePEM("terraform")
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := reg.ClientCertificatePEM("other")
	if err != nil {
		t.Fatal(err)
	}
	ca := heredoc(strings.TrimSpace(string(reg.CAPEM)))
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	pem := func(b []byte) string { return heredoc(strings.TrimSpace(string(b))) }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca)) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry TLS Error.*client_cert_pem`),
			},
			{
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca, "client_cert_pem", pem(cert))) + data,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*client_key_pem" must be specified`),
			},
			{
				Config:      providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca, "client_cert_pem", pem(cert), "client_key_pem", pem(otherKey))) + data,
				ExpectError: regexp.MustCompile(`(?s)Invalid Client Certificate.*private key does not match`),
			},
			{
				// Last, so that the test's final destroy has a valid configuration.
				Config:            providerConfig("", registryBlock("address", q(reg.Host), "ca_cert_pem", ca, "client_cert_pem", pem(cert), "client_key_pem", pem(key))) + data,
				ConfigStateChecks: readOK("app"),
			},
		},
	})
	seen := false
	for _, r := range reg.Requests.All() {
		if r.ClientCert == "terraform" {
			seen = true
		}
	}
	if !seen {
		t.Error("the registry never saw the client certificate")
	}
}
