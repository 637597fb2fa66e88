package provider

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// pullLimitRegistry answers manifest requests as Docker Hub does, with
// ratelimit-limit and ratelimit-remaining headers; remaining is what the
// returned counter holds.
func pullLimitRegistry(t *testing.T) (*registrytest.Registry, *atomic.Int64) {
	t.Helper()
	var remaining atomic.Int64
	reg := registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				w.Header().Set("RateLimit-Limit", "100;w=21600")
				w.Header().Set("RateLimit-Remaining", strconv.FormatInt(remaining.Load(), 10)+";w=21600")
			}
			next.ServeHTTP(w, r)
		})
	}})
	for _, ref := range []string{"team/app:1", "team/app:2", "team/other:1"} {
		if _, err := reg.PushImage(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
	}
	return reg, &remaining
}

// TestAccPullLimitWarning: through Terraform, a plan whose registry says
// fewer than 10% of its pulls are left shows one warning naming the
// registry, the numbers and the window, however many data sources saw it;
// a plan with pulls to spare shows none.
func TestAccPullLimitWarning(t *testing.T) {
	reg, remaining := pullLimitRegistry(t)
	h := reg.Host
	config := providerConfig("  cache_dir = \"\"\n") + manifestConfig(map[string]string{
		"a": h + "/team/app:1", "b": h + "/team/app:2", "c": h + "/team/other:1",
	}) + digestsConfig(map[string]string{"x": h + "/team/app:1"}, "")

	remaining.Store(9) // 9 x 10 < 100
	out, err := terraformPlan(t, config)
	if err != nil {
		t.Fatalf("terraform plan: %v\n%s", err, out)
	}
	warning := wrapped(`Warning: Registry Pull Limit Nearly Reached.*Registry "` + regexp.QuoteMeta(h) +
		`" says 9 of its 100 pulls are left, in a window of 6h \(ratelimit-limit "100;w=21600"\)`)
	if !warning.MatchString(out) {
		t.Fatalf("no pull-limit warning naming the registry, the numbers and the window in:\n%s", out)
	}
	if n := strings.Count(out, "Warning: Registry Pull Limit Nearly Reached"); n != 1 {
		t.Errorf("%d pull-limit warnings, want 1 for the plan however many reads saw it:\n%s", n, out)
	}

	remaining.Store(10) // 10 x 10 = 100: not fewer than 10% left
	out, err = terraformPlan(t, config)
	if err != nil {
		t.Fatalf("terraform plan: %v\n%s", err, out)
	}
	if strings.Contains(out, "Pull Limit") {
		t.Errorf("a pull-limit warning with 10 of 100 pulls left:\n%s", out)
	}
}
