package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// tagPageLimit is the most tags the test registry returns per page, however
// many are asked for, as registries that cap `n` do.
const tagPageLimit = 100

// capPages lowers `n` on tag-list requests to tagPageLimit, so that the
// registry pages with Link headers.
func capPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			q := r.URL.Query()
			if n, err := strconv.Atoi(q.Get("n")); err == nil && n > tagPageLimit {
				q.Set("n", strconv.Itoa(tagPageLimit))
				r.URL.RawQuery = q.Encode()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func tagsConfig(name string, attrs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data \"imageinfo_tags\" %q {\n", name)
	for i := 0; i+1 < len(attrs); i += 2 {
		fmt.Fprintf(&b, "  %s = %s\n", attrs[i], attrs[i+1])
	}
	b.WriteString("}\n")
	return b.String()
}

func stringList(tags []string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(tags))
	for i, t := range tags {
		checks[i] = knownvalue.StringExact(t)
	}
	return knownvalue.ListExact(checks)
}

// TestAccTags lists a repository of 250 tags through a registry that
// returns at most 100 per page, and filters and sorts them.
func TestAccTags(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{
		Wrap: func(h http.Handler) http.Handler {
			h = registrytest.Fault(registrytest.Match("GET", "/v2/denied/"), registrytest.Respond(http.StatusForbidden, "DENIED"))(h)
			h = registrytest.Fault(registrytest.Match("GET", "/v2/gone/"), registrytest.Respond(http.StatusNotFound, "NOT_FOUND"))(h)
			return capPages(h)
		},
	})
	versions := []string{"1.0.0", "1.2", "1.9.0", "1.10.0", "v1.10.1", "2.0.0-rc.1", "2.0.0", "2.1", "1.27-alpine", "latest", "main", "sha-4f2a9c1"}
	all := slices.Clone(versions)
	for i := len(all); i < 250; i++ {
		all = append(all, fmt.Sprintf("build-%03d", i))
	}
	img, err := reg.PushImage(ctx, "team/app:"+all[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	for _, tag := range all[1:] {
		if err := reg.PushRaw(ctx, "team/app", tag, string(mt), raw); err != nil {
			t.Fatal(err)
		}
	}
	lexical := slices.Clone(all)
	slices.Sort(lexical)
	builds := []string{}
	for _, tag := range lexical {
		if strings.HasPrefix(tag, "build-1") {
			builds = append(builds, tag)
		}
	}

	repo := q(reg.Host + "/team/app")
	config := providerConfig("") +
		tagsConfig("all", "repository", repo) +
		tagsConfig("lexical", "repository", repo, "sort", q("lexical")) +
		tagsConfig("match", "repository", repo, "match", q(`^build-1\d\d$`)) +
		tagsConfig("semver_sort", "repository", repo, "sort", q("semver")) +
		tagsConfig("semver_range", "repository", repo, "semver", q(">= 1.9, < 2"), "sort", q("semver")) +
		tagsConfig("semver_lexical", "repository", repo, "semver", q(">= 1.9, < 2")) +
		tagsConfig("none_match", "repository", repo, "match", q("^nothing$")) +
		tagsConfig("unknown", "repository", q(reg.Host+"/team/nothing"))
	at := tfjsonpath.New[string]
	check := func(name string, tags []string, latest knownvalue.Check) []statecheck.StateCheck {
		addr := "data.imageinfo_tags." + name
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, at("tags"), stringList(tags)),
			statecheck.ExpectKnownValue(addr, at("latest"), latest),
		}
	}
	var checks []statecheck.StateCheck
	checks = append(checks, check("all", lexical, knownvalue.StringExact("v1.10.1"))...)
	checks = append(checks, check("lexical", lexical, knownvalue.StringExact("v1.10.1"))...)
	checks = append(checks, check("match", builds, knownvalue.StringExact("build-199"))...)
	// Versions only, numerically; 1.27-alpine is a pre-release of 1.27.0.
	checks = append(checks, check("semver_sort", []string{"1.0.0", "1.2", "1.9.0", "1.10.0", "v1.10.1", "1.27-alpine", "2.0.0-rc.1", "2.0.0", "2.1"}, knownvalue.StringExact("2.1"))...)
	checks = append(checks, check("semver_range", []string{"1.9.0", "1.10.0", "v1.10.1"}, knownvalue.StringExact("v1.10.1"))...)
	checks = append(checks, check("semver_lexical", []string{"1.10.0", "1.9.0", "v1.10.1"}, knownvalue.StringExact("v1.10.1"))...)
	checks = append(checks, check("none_match", []string{}, knownvalue.Null())...)
	checks = append(checks, check("unknown", []string{}, knownvalue.Null())...)

	// Steps that fail come first: the last step's configuration is the one
	// destroyed at the end.
	validation := func(attrs []string, want string) resource.TestStep {
		return resource.TestStep{
			Config:      providerConfig("") + tagsConfig("x", attrs...),
			ExpectError: wrapped(want),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			validation([]string{"repository", q("nginx:1.27")}, `Invalid Repository.*"nginx:1.27" has a tag`),
			validation([]string{"repository", q("nginx@" + fnDigest)}, `Invalid Repository.*has a digest`),
			validation([]string{"repository", q("nginx@" + fnDigest384)}, `Invalid Repository.*algorithm sha384 is not`),
			validation([]string{"repository", repo, "match", q("(")}, `Invalid Regular Expression.*not an RE2 regular expression`),
			validation([]string{"repository", repo, "semver", q("newest")}, `Invalid Version Constraint.*"newest" is not a version constraint`),
			validation([]string{"repository", repo, "sort", q("newest")}, `sort.*value must be one of`),
			// Failures are errors, classified like the manifest's; only
			// NAME_UNKNOWN is an empty list.
			validation([]string{"repository", q(reg.Host + "/denied/app")}, `Registry Access Denied.*repository "denied/app".*HTTP 403 DENIED`),
			validation([]string{"repository", q(reg.Host + "/gone/app")}, `Tag List Not Found.*repository "gone/app".*HTTP 404 NOT_FOUND.*NAME_UNKNOWN`),
			{Config: config, ConfigStateChecks: checks},
		},
	})

	// Every listing of team/app read three pages: the first, with n, and
	// two more through the registry's Link headers.
	first, following := 0, 0
	for _, r := range reg.Requests.All() {
		if r.Path != "/v2/team/app/tags/list" {
			continue
		}
		switch {
		case r.RawQuery == "n=1000":
			first++
		case strings.Contains(r.RawQuery, "last="):
			following++
		default:
			t.Errorf("tag list request with query %q: want n=1000, then the registry's links", r.RawQuery)
		}
	}
	if first == 0 || following != 2*first {
		t.Errorf("%d first pages and %d following pages: want two following pages per listing of 250 tags", first, following)
	}
}
