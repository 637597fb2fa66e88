// Package digest holds the one rule of this provider for content digests:
// which algorithms count, what a well-formed digest looks like, and how
// content is hashed. The OCI image specification registers sha256 and
// sha512; go-digest also knows sha384, which no registry is required to
// serve, so a digest of another algorithm is refused before any request.
package digest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// algorithms are the digest algorithms of the OCI image specification, with
// the length of their hex encoding.
var algorithms = map[string]struct {
	new    func() hash.Hash
	hexLen int
}{
	"sha256": {sha256.New, 2 * sha256.Size},
	"sha512": {sha512.New, 2 * sha512.Size},
}

// Validate reports whether s is "<algorithm>:<hex>" with an OCI algorithm
// and an encoding of the right length in lower-case hex.
func Validate(s string) error {
	algorithm, encoded, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("invalid digest %q: expected sha256: followed by 64 lower-case hex digits", s)
	}
	a, known := algorithms[algorithm]
	if !known {
		return fmt.Errorf("invalid digest %q: algorithm %s is not one OCI registries use: write sha256: followed by 64 lower-case hex digits (or sha512: and 128)", s, algorithm)
	}
	if len(encoded) != a.hexLen || strings.ToLower(encoded) != encoded {
		return fmt.Errorf("invalid digest %q: %s takes %d lower-case hex digits", s, algorithm, a.hexLen)
	}
	if _, err := hex.DecodeString(encoded); err != nil {
		return fmt.Errorf("invalid digest %q: %s takes %d lower-case hex digits", s, algorithm, a.hexLen)
	}
	return nil
}

// NewHash returns a hash for an OCI digest algorithm.
func NewHash(algorithm string) (hash.Hash, error) {
	a, ok := algorithms[algorithm]
	if !ok {
		return nil, fmt.Errorf("digest algorithm %q is not supported: only sha256 and sha512 are OCI digest algorithms", algorithm)
	}
	return a.new(), nil
}

// Of hashes content with an OCI digest algorithm: "sha256:<hex>".
func Of(algorithm string, content []byte) (string, error) {
	h, err := NewHash(algorithm)
	if err != nil {
		return "", err
	}
	h.Write(content)
	return Format(algorithm, h), nil
}

// Format renders a hash's sum as a digest of algorithm.
func Format(algorithm string, h hash.Hash) string {
	return algorithm + ":" + hex.EncodeToString(h.Sum(nil))
}

// Algorithm is the algorithm part of a digest: "sha256" for "sha256:…".
func Algorithm(d string) string {
	a, _, _ := strings.Cut(d, ":")
	return a
}
