package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// TestAccECR_Hostnames: an ECR hostname with no credentials configured gets
// a password from GetAuthorizationToken through the default AWS credential
// chain, with the region taken from the hostname; a look-alike host under
// another domain gets nothing. The host names are reached through a CONNECT
// proxy that maps them to registries on 127.0.0.1, so nothing leaves the
// machine.
func TestAccECR_Hostnames(t *testing.T) {
	if !inChild(t) {
		return
	}
	isolateAWS(t)
	proxy := registrytest.NewConnectProxy(t)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("https_proxy", proxy.URL)
	t.Setenv("no_proxy", "")

	const ecrHost = ecrAccount + ".dkr.ecr.eu-central-1.amazonaws.com"
	const lookAlike = ecrAccount + ".dkr.ecr.eu-central-1.amazonaws.com.evil.example"
	var publicCalls int
	api := ecrAPI(t)
	t.Setenv("AWS_ACCESS_KEY_ID", ecrKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", ecrSecret)
	t.Setenv("AWS_ENDPOINT_URL_ECR", api.URL)

	start := func(host string) *registrytest.Registry {
		reg := registrytest.New(t, registrytest.Options{TLS: true, DNSNames: []string{host}, Wrap: api.RegistryMiddleware(host)})
		if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
			t.Fatal(err)
		}
		proxy.Route(host+":443", reg.Host)
		return reg
	}
	reg := start(ecrHost)
	evil := start(lookAlike)
	// ECR Public: the token flow, open to anonymous pulls of public
	// repositories; its realm takes AWS:<password from ECR Public's API>.
	t.Setenv("AWS_ENDPOINT_URL_ECR_PUBLIC", api.URL)
	public := registrytest.New(t, registrytest.Options{
		TLS: true, DNSNames: []string{"public.ecr.aws"}, Auth: registrytest.AuthToken,
		PublicRepositories: []string{"pub/*"},
		Authenticate:       func(user, password string) bool { return user == "AWS" && api.Valid(password) },
	})
	for _, ref := range []string{"pub/tools:1", "private/tools:1"} {
		if _, err := public.PushImage(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
	}
	proxy.Route("public.ecr.aws:443", public.Host)

	// Blocks with only a CA leave the credentials to the next steps.
	tlsOnly := func(reg *registrytest.Registry, host string) string {
		return registryBlock("address", q(host), "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM))))
	}
	// ECR Public's token server is another host (localhost on another
	// port) with a certificate from the same private CA: a block's TLS
	// settings stay with its host, so it needs one of its own.
	publicRealm := tlsOnly(public, public.TokenHost())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: providerConfig("", tlsOnly(reg, ecrHost)) + manifestConfig(map[string]string{"app": ecrHost + "/team/app:1"}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.imageinfo_manifest.app", tfjsonpath.New("registry"), knownvalue.StringExact(ecrHost)),
					statecheck.ExpectKnownValue("data.imageinfo_manifest.app", tfjsonpath.New("pinned_reference"), knownvalue.StringRegexp(regexp.MustCompile(`^`+regexp.QuoteMeta(ecrHost)+`/team/app@sha256:`))),
				},
			},
			{
				Config:      providerConfig("", tlsOnly(evil, lookAlike)) + manifestConfig(map[string]string{"app": lookAlike + "/team/app:1"}),
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*Amazon ECR\s+registry`),
			},
			{
				// ECR Public without configuration: anonymous, no AWS call.
				PreConfig: func() { publicCalls = api.Calls() },
				Config:    providerConfig("", tlsOnly(public, "public.ecr.aws"), publicRealm) + manifestConfig(map[string]string{"pub": "public.ecr.aws/pub/tools:1"}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.imageinfo_manifest.pub", tfjsonpath.New("registry"), knownvalue.StringExact("public.ecr.aws")),
				},
			},
			{
				// ECR Public with ecr {}: ECR Public's GetAuthorizationToken.
				PreConfig: func() {
					if api.Calls() != publicCalls {
						t.Errorf("anonymous ECR Public reads called the AWS API")
					}
				},
				Config: providerConfig("", "  registry {\n    address = \"public.ecr.aws\"\n    ca_cert_pem = "+heredoc(strings.TrimSpace(string(public.CAPEM)))+"\n    ecr {}\n  }\n", publicRealm) +
					manifestConfig(map[string]string{"private": "public.ecr.aws/private/tools:1"}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.imageinfo_manifest.private", tfjsonpath.New("repository"), knownvalue.StringExact("private/tools")),
				},
			},
		},
	})
	publicAPI := 0
	for _, r := range api.Requests() {
		if r.Target == awsapi.TargetECRPublic {
			publicAPI++
		}
	}
	if publicAPI == 0 {
		t.Error("ECR Public's GetAuthorizationToken was never called for public.ecr.aws with ecr {}")
	}
	if api.Calls() == 0 {
		t.Fatal("GetAuthorizationToken was never called for the ECR hostname")
	}
	for _, r := range api.Requests() {
		if r.Target == awsapi.TargetECR && r.Region != "eu-central-1" {
			t.Errorf("GetAuthorizationToken was signed for region %q, want eu-central-1 from the hostname", r.Region)
		}
	}
	if n := countAuth(evil.Requests.All(), "Basic"); n != 0 {
		t.Errorf("the look-alike host received credentials %d times", n)
	}
	for _, target := range proxy.Targets() {
		if target != ecrHost+":443" && target != lookAlike+":443" && target != "public.ecr.aws:443" {
			t.Errorf("the provider tried to reach %s", target)
		}
	}
}
