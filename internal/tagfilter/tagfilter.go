// Package tagfilter filters and sorts image tags: by regular expression, by
// semantic-version constraint, lexically or by version. It never does I/O.
package tagfilter

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// The orders Filter sorts in.
const (
	// SortLexical sorts tags by their bytes, as the registry's tag list does.
	SortLexical = "lexical"
	// SortSemver sorts tags by semantic version, lowest first.
	SortSemver = "semver"
)

// Options select and order tags. The zero value keeps every tag and sorts
// lexically.
type Options struct {
	// Match, when set, keeps the tags it matches anywhere (RE2, unanchored).
	Match *regexp.Regexp
	// Constraint, when set, keeps the tags that are versions satisfying it.
	Constraint *semver.Constraints
	// Sort is SortSemver for version order; anything else, SortLexical and
	// "" included, is lexical order. Refusing other values is the caller's
	// job, at validate time: Filter has no error to return.
	Sort string
}

// Filter returns the tags that pass opts, sorted. Tags that are not versions
// (see ParseVersion) are dropped when a constraint is set or when sorting by
// version. Versions that compare equal ("1.2" and "v1.2.0") are ordered
// lexically, so the result does not depend on the registry's order.
func Filter(tags []string, opts Options) []string {
	bySemver := opts.Sort == SortSemver
	needVersions := bySemver || opts.Constraint != nil
	type tag struct {
		name    string
		version *semver.Version
	}
	kept := []tag{}
	for _, t := range tags {
		if opts.Match != nil && !opts.Match.MatchString(t) {
			continue
		}
		var v *semver.Version
		if needVersions {
			var err error
			if v, err = ParseVersion(t); err != nil {
				continue
			}
			if opts.Constraint != nil && !opts.Constraint.Check(v) {
				continue
			}
		}
		kept = append(kept, tag{t, v})
	}
	slices.SortStableFunc(kept, func(a, b tag) int {
		if bySemver {
			if c := a.version.Compare(b.version); c != 0 {
				return c
			}
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(kept))
	for i, t := range kept {
		out[i] = t.name
	}
	return out
}

// ParseVersion reads a tag as a semantic version the way
// github.com/Masterminds/semver/v3 does leniently: a leading "v" is allowed,
// and missing minor and patch numbers are zero, so "v1.2.3", "1.27" and "3"
// are versions. A suffix after '-' is a pre-release ("1.27-alpine" is a
// pre-release of 1.27.0), which constraints leave out unless they name a
// pre-release themselves.
func ParseVersion(tag string) (*semver.Version, error) {
	return semver.NewVersion(tag)
}

// ParseConstraint reads a constraint such as ">= 1.25, < 2", "~1.27" or "^3".
func ParseConstraint(s string) (*semver.Constraints, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("the constraint is empty: write one such as \">= 1.25, < 2\"")
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a version constraint such as \">= 1.25, < 2\" or \"~1.27\": %w", s, err)
	}
	return c, nil
}

// ParseMatch compiles a tag filter (RE2 syntax).
func ParseMatch(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an RE2 regular expression: %w", s, err)
	}
	return re, nil
}
