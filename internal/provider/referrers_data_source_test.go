package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

const (
	sbomArtifactType   = "application/spdx+json"
	bundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// referredImage pushes app:1 with an SBOM and a bundle referring to it, and
// app:2 without referrers; it returns the digests of app:1, app:2 and the
// two referrers.
func referredImage(t *testing.T, reg *registrytest.Registry) (subject, bare, sbom, bundle string) {
	t.Helper()
	ctx := context.Background()
	var digests []string
	for _, tag := range []string{"app:1", "app:2"} {
		img, err := reg.PushImage(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := img.Digest()
		digests = append(digests, h.String())
	}
	for _, a := range []registrytest.Artifact{
		{ArtifactType: sbomArtifactType, Layers: []registrytest.Blob{{MediaType: sbomArtifactType, Data: []byte(`{"spdxVersion":"SPDX-2.3"}`)}},
			Annotations: map[string]string{"org.opencontainers.image.created": "2026-01-02T03:04:05Z"}},
		{ArtifactType: bundleArtifactType, Layers: []registrytest.Blob{{MediaType: bundleArtifactType, Data: []byte(`{}`)}}},
	} {
		a.Subject = digests[0]
		d, err := reg.PushArtifact(ctx, "app", "", a)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	return digests[0], digests[1], digests[2], digests[3]
}

func referrersConfig(name, ref, artifactType string) string {
	s := fmt.Sprintf("data \"imageinfo_referrers\" %q {\n  reference = %q\n", name, ref)
	if artifactType != "" {
		s += fmt.Sprintf("  artifact_type = %q\n", artifactType)
	}
	return s + "}\n"
}

func referrerCheck(dgst, artifactType string, annotations map[string]knownvalue.Check) knownvalue.Check {
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"digest":        knownvalue.StringExact(dgst),
		"media_type":    knownvalue.StringExact("application/vnd.oci.image.manifest.v1+json"),
		"artifact_type": knownvalue.StringExact(artifactType),
		"annotations":   knownvalue.MapExact(annotations),
	})
}

// TestAccReferrers lists referrers through Terraform from a registry with
// the referrers API (paged, and one that lists config media types where the
// manifests say otherwise) and from one without (the fallback tag), filtered
// by type, and as an empty list for an image without referrers.
func TestAccReferrers(t *testing.T) {
	api := registrytest.New(t, registrytest.Options{Referrers: true, ReferrersPageSize: 1, ReferrersConfigArtifactType: true})
	noAPI := registrytest.New(t, registrytest.Options{})
	config := providerConfig("")
	var checks []statecheck.StateCheck
	at := tfjsonpath.New[string]
	for name, reg := range map[string]*registrytest.Registry{"api": api, "tag": noAPI} {
		subject, bare, sbom, bundle := referredImage(t, reg)
		created := map[string]knownvalue.Check{"org.opencontainers.image.created": knownvalue.StringExact("2026-01-02T03:04:05Z")}
		checksBoth := []knownvalue.Check{
			referrerCheck(sbom, sbomArtifactType, created),
			referrerCheck(bundle, bundleArtifactType, map[string]knownvalue.Check{}),
		}
		// The API lists them in push order; go-containerregistry keeps the
		// fallback tag's index sorted by digest.
		if reg == noAPI && bundle < sbom {
			checksBoth[0], checksBoth[1] = checksBoth[1], checksBoth[0]
		}
		both := knownvalue.ListExact(checksBoth)
		config += referrersConfig(name, reg.Host+"/app:1", "") +
			referrersConfig(name+"_sbom", reg.Host+"/app@"+subject, sbomArtifactType) +
			referrersConfig(name+"_none", reg.Host+"/app:2", "")
		checks = append(checks,
			statecheck.ExpectKnownValue("data.imageinfo_referrers."+name, at("digest"), knownvalue.StringExact(subject)),
			statecheck.ExpectKnownValue("data.imageinfo_referrers."+name, at("referrers"), both),
			statecheck.ExpectKnownValue("data.imageinfo_referrers."+name+"_sbom", at("referrers"),
				knownvalue.ListExact([]knownvalue.Check{referrerCheck(sbom, sbomArtifactType, created)})),
			statecheck.ExpectKnownValue("data.imageinfo_referrers."+name+"_none", at("digest"), knownvalue.StringExact(bare)),
			statecheck.ExpectKnownValue("data.imageinfo_referrers."+name+"_none", at("referrers"), knownvalue.ListExact([]knownvalue.Check{})),
		)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      providerConfig("") + referrersConfig("x", "nginx:1.27@sha256:xyz", ""),
				ExpectError: wrapped(`Invalid Image Reference`),
			},
			{
				Config:      providerConfig("") + referrersConfig("x", api.Host+"/missing:1", ""),
				ExpectError: wrapped(`Image Not Found.*repository "missing"`),
			},
			{Config: config, ConfigStateChecks: checks},
		},
	})
	// Which registry has the API decides where referrers are read; that
	// the answer is remembered for the run is TestReferrersFallbackTag's
	// (data sources are read concurrently, so several may ask first here).
	if n := noAPI.Count("", "/v2/app/manifests/sha256-"); n == 0 {
		t.Errorf("the registry without the API was never asked for the fallback tag")
	}
	if n := api.Count("", "/v2/app/manifests/sha256-"); n != 0 {
		t.Errorf("the registry with the API was asked for the fallback tag %d times", n)
	}
}
