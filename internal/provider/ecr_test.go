package provider

import (
	"fmt"
	"os"
	"path/filepath"
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

func manyManifests(reg *registrytest.Registry, n int) string {
	refs := map[string]string{}
	for i := range n {
		refs[fmt.Sprintf("app%02d", i)] = reg.Host + "/team/app:1"
	}
	return manifestConfig(refs)
}

// TestAccECR_StaticKeys: twenty data sources read in parallel through an ecr
// block with static keys cost exactly one GetAuthorizationToken.
func TestAccECR_StaticKeys(t *testing.T) {
	isolateAWS(t)
	api := ecrAPI(t)
	reg := ecrRegistry(t, api)
	config := providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "registry_id", q(ecrAccount),
		"access_key", q(ecrKeyID), "secret_key", q(ecrSecret), "endpoint", q(api.URL))) + manyManifests(reg, 20)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.imageinfo_manifest.app00", tfjsonpath.New("repository"), knownvalue.StringExact("team/app")),
				statecheck.ExpectKnownValue("data.imageinfo_manifest.app19", tfjsonpath.New("digest"), knownvalue.StringRegexp(regexp.MustCompile(`^sha256:[0-9a-f]{64}$`))),
			},
		}},
	})
	// A step runs terraform several times (plan, apply, checks), each with a
	// newly configured provider that pings the registry once. Each such run
	// of 20 data sources must cost exactly one GetAuthorizationToken.
	runs, manifests := 0, 0
	for _, r := range reg.Requests.All() {
		switch {
		case r.Path == "/v2/":
			runs++
		case strings.Contains(r.Path, "/manifests/"):
			manifests++
		}
	}
	if runs == 0 || api.Calls() != runs {
		t.Errorf("GetAuthorizationToken was called %d times in %d provider runs; want exactly one per run", api.Calls(), runs)
	}
	if manifests != 20*runs {
		t.Errorf("%d manifest requests in %d runs of 20 data sources; want %d (no request refused and repeated)", manifests, runs, 20*runs)
	}
}

// TestAccECR_CredentialSources: environment credentials, a profile in a
// shared credentials file, and an assumed role (with external id) each get a
// password the ECR registry accepts.
func TestAccECR_CredentialSources(t *testing.T) {
	isolateAWS(t)
	api := ecrAPI(t)
	reg := ecrRegistry(t, api)
	sts := awsapi.NewSTS(t, awsapi.STSOptions{
		Credentials:       map[string]awsapi.Credential{ecrRoleKeyID: {Secret: ecrRoleKey}},
		ECR:               api,
		RequireExternalID: "ext-42",
	})
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[ci]\naws_access_key_id = "+ecrKeyID+"\naws_secret_access_key = "+ecrSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	ok := []statecheck.StateCheck{statecheck.ExpectKnownValue("data.imageinfo_manifest.app", tfjsonpath.New("repository"), knownvalue.StringExact("team/app"))}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					t.Setenv("AWS_ACCESS_KEY_ID", ecrKeyID)
					t.Setenv("AWS_SECRET_ACCESS_KEY", ecrSecret)
				},
				Config:            providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "endpoint", q(api.URL))) + data,
				ConfigStateChecks: ok,
			},
			{
				PreConfig: func() {
					os.Unsetenv("AWS_ACCESS_KEY_ID")
					os.Unsetenv("AWS_SECRET_ACCESS_KEY")
				},
				Config:            providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "profile", q("ci"), "endpoint", q(api.URL))) + data,
				ConfigStateChecks: ok,
			},
			{
				Config: providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "endpoint", q(api.URL),
					"access_key", q(ecrRoleKeyID), "secret_key", q(ecrRoleKey),
					"role_arn", q("arn:aws:iam::"+ecrAccount+":role/puller"), "external_id", q("ext-42"))) + data,
				ConfigStateChecks: ok,
			},
		},
	})
	last := sts.Last()
	if last.RoleARN != "arn:aws:iam::"+ecrAccount+":role/puller" || last.ExternalID != "ext-42" || last.SessionName != "terraform-provider-imageinfo" {
		t.Errorf("AssumeRole got %+v", last)
	}
}

// TestAccECR_Failures: each likely mistake gets a diagnostic that says how
// to fix it, with the region and registry id, and no secret.
func TestAccECR_Failures(t *testing.T) {
	isolateAWS(t)
	api := awsapi.NewECR(t, awsapi.ECROptions{
		Credentials: map[string]awsapi.Credential{ecrKeyID: {Secret: ecrSecret}, "AKIAIMAGEINFODENIEDK": {Secret: "denied-secret"}},
		Denied:      map[string]bool{"AKIAIMAGEINFODENIEDK": true},
	})
	reg := ecrRegistry(t, api)
	data := manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"})
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config, ExpectError: regexp.MustCompile(want)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			// A wrong secret key: the API call fails; the diagnostic names it.
			step(providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "registry_id", q(ecrAccount), "endpoint", q(api.URL),
				"access_key", q(ecrKeyID), "secret_key", q("wrong-secret-do-not-show-11")))+data,
				`(?s)Registry Credentials Unavailable.*GetAuthorizationToken.*registry id\s+`+ecrAccount+`.*region\s+`+ecrRegion+`.*InvalidSignatureException`),
			// Keys without the permission: the diagnostic names it.
			step(providerConfig("", ecrBlock(reg, "region", q(ecrRegion), "endpoint", q(api.URL),
				"access_key", q("AKIAIMAGEINFODENIEDK"), "secret_key", q("denied-secret")))+data,
				`(?s)Registry Credentials Unavailable.*AccessDeniedException.*ecr:GetAuthorizationToken`),
			// AWS keys given as a username and password to the ECR challenge.
			step(providerConfig("", registryBlock("address", q(reg.Host), "username", q(ecrKeyID), "password", q(ecrSecret)))+data,
				`(?s)Registry Authentication Failed.*Amazon ECR\s+registry.*AWS access keys given as\s+username.*ecr \{`),
			// Nothing configured for a registry that answers the ECR challenge.
			step(providerConfig("")+data, `(?s)Registry Authentication Failed.*Amazon ECR\s+registry.*ecr \{`),
			// AWS keys as a username for an ECR hostname: caught before any request.
			step(providerConfig("", registryBlock("address", q(ecrTestHost), "username", q(ecrKeyID), "password", q("x")))+
				manifestConfig(map[string]string{"x": ecrTestHost + "/team/app:1"}), `(?s)AWS Access Keys Given As Registry Credentials.*ecr \{`),
			// A region that contradicts the hostname.
			step(providerConfig("", "  registry {\n    address = "+q(ecrTestHost)+"\n    ecr {\n      region = \"eu-west-1\"\n    }\n  }\n")+
				manifestConfig(map[string]string{"x": ecrTestHost + "/team/app:1"}), `(?s)Invalid ECR Configuration.*Region "eu-west-1" does not\s+match.*Remove region`),
			// ecr together with a username.
			step(providerConfig("", "  registry {\n    address = "+q(ecrTestHost)+"\n    username = \"AWS\"\n    password = \"x\"\n    ecr {}\n  }\n")+data,
				`(?s)Invalid Attribute Combination.*registry\[0\]\.username" cannot be specified when\s+"registry\[0\]\.ecr"`),
		},
	})
	for _, secret := range []string{ecrSecret, "denied-secret", "wrong-secret-do-not-show-11"} {
		for _, p := range api.Passwords() {
			if p == secret {
				t.Fatal("stand-in issued a secret as password; test is broken")
			}
		}
	}
}
