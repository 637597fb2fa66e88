package tagfilter

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var tags = []string{
	"latest", "1.9.0", "1.10.0", "v1.10.1", "1.2", "2.0.0-rc.1", "2.0.0", "1.27-alpine", "sha-abc123", "1.10",
	"3", "main", "v1.2.0",
}

func mustConstraint(t *testing.T, s string) Options {
	t.Helper()
	c, err := ParseConstraint(s)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Constraint: c}
}

func TestFilter(t *testing.T) {
	withSort := func(o Options, s string) Options { o.Sort = s; return o }
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"default is every tag, lexical", Options{},
			[]string{"1.10", "1.10.0", "1.2", "1.27-alpine", "1.9.0", "2.0.0", "2.0.0-rc.1", "3", "latest", "main", "sha-abc123", "v1.10.1", "v1.2.0"}},
		{"lexical explicitly", Options{Sort: SortLexical},
			[]string{"1.10", "1.10.0", "1.2", "1.27-alpine", "1.9.0", "2.0.0", "2.0.0-rc.1", "3", "latest", "main", "sha-abc123", "v1.10.1", "v1.2.0"}},
		// Versions sort numerically; pre-releases before their release;
		// equal versions lexically; non-versions are dropped.
		{"semver sort", Options{Sort: SortSemver},
			[]string{"1.2", "v1.2.0", "1.9.0", "1.10", "1.10.0", "v1.10.1", "1.27-alpine", "2.0.0-rc.1", "2.0.0", "3"}},
		{"match is unanchored RE2", Options{Match: regexp.MustCompile(`^v`)}, []string{"v1.10.1", "v1.2.0"}},
		{"match anywhere", Options{Match: regexp.MustCompile(`alpine`)}, []string{"1.27-alpine"}},
		// A constraint leaves out non-versions and pre-releases.
		{"constraint, lexical", mustConstraint(t, ">= 1.10, < 3"), []string{"1.10", "1.10.0", "2.0.0", "v1.10.1"}},
		{"constraint, semver", withSort(mustConstraint(t, ">= 1.10, < 3"), SortSemver), []string{"1.10", "1.10.0", "v1.10.1", "2.0.0"}},
		{"constraint naming a pre-release", withSort(mustConstraint(t, ">= 2.0.0-rc.0"), SortSemver), []string{"2.0.0-rc.1", "2.0.0", "3"}},
		{"tilde", withSort(mustConstraint(t, "~1.10"), SortSemver), []string{"1.10", "1.10.0", "v1.10.1"}},
		{"match and constraint", Options{Match: regexp.MustCompile(`^\d`), Constraint: mustConstraint(t, "^1").Constraint, Sort: SortSemver},
			[]string{"1.2", "1.9.0", "1.10", "1.10.0"}},
		{"nothing passes", mustConstraint(t, "> 100"), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Filter(tags, tt.opts)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Filter = %q\nwant     %q", got, tt.want)
			}
		})
	}
}

func TestFilterEmptyIsNotNil(t *testing.T) {
	got := Filter(nil, Options{Sort: SortSemver})
	if got == nil || len(got) != 0 {
		t.Fatalf("Filter(nil) = %#v; want an empty, non-nil list", got)
	}
}

// TestFilterOrderIndependent: the result does not depend on the order the
// registry listed the tags in.
func TestFilterOrderIndependent(t *testing.T) {
	rev := slices.Clone(tags)
	slices.Reverse(rev)
	for _, s := range []string{SortLexical, SortSemver} {
		a := Filter(tags, Options{Sort: s})
		b := Filter(rev, Options{Sort: s})
		if !slices.Equal(a, b) {
			t.Errorf("sort %s: %q vs %q for reversed input", s, a, b)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3": "1.2.3", "v1.2.3": "1.2.3", "1.27": "1.27.0", "3": "3.0.0", "1.27-alpine": "1.27.0-alpine", "2.0.0-rc.1+build.5": "2.0.0-rc.1+build.5",
	} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, in := range []string{"latest", "sha-abc123", "1.2.3.4", "main", "", "v"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) succeeded; it is not a version", in)
		}
	}
}

func TestParseConstraint(t *testing.T) {
	for _, ok := range []string{">= 1.25, < 2", "~1.27", "^3", "1.x", ">=1.0 <2.0 || >=3"} {
		if _, err := ParseConstraint(ok); err != nil {
			t.Errorf("ParseConstraint(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", ">>1", "one point two", ">= 1.2,"} {
		if _, err := ParseConstraint(bad); err == nil {
			t.Errorf("ParseConstraint(%q) succeeded", bad)
		}
	}
}

func TestParseMatch(t *testing.T) {
	if _, err := ParseMatch(`^v\d+`); err != nil {
		t.Fatal(err)
	}
	// Perl look-ahead is not RE2.
	if _, err := ParseMatch(`^(?!rc)`); err == nil || !strings.Contains(err.Error(), "RE2") {
		t.Fatalf("err = %v, want an RE2 error", err)
	}
}
