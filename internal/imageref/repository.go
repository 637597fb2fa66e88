package imageref

import (
	"fmt"
	"strings"
)

// ParseRepository parses a repository name as `docker pull` reads the name
// part of a reference: `nginx`, `bitnami/redis`, `ghcr.io/o/app`,
// `host:5000/a/b`. A tag or digest is an error, since a repository is meant.
// The result has neither tag nor digest.
func ParseRepository(s string) (Reference, error) {
	ref, err := Parse(s)
	if err != nil {
		return Reference{}, err
	}
	if ref.Digest != "" {
		return Reference{}, fmt.Errorf("%q has a digest: give the repository alone, such as %q", s, ref.Name())
	}
	// Parse fills in "latest" for a name alone, so look for a tag the way
	// Parse does: after the last ':' that follows the last '/'.
	if strings.LastIndex(s, ":") > strings.LastIndex(s, "/") {
		return Reference{}, fmt.Errorf("%q has a tag: give the repository alone, such as %q", s, ref.Name())
	}
	ref.Tag = ""
	return ref, nil
}
