// Package cache is a content-addressed store of manifests and config blobs on
// disk, shared by every provider process that points at the same directory.
//
// Content is named by its digest, so an entry never goes stale: a tag that
// moves points at a new digest, and a digest always names the same bytes.
// Entries are written atomically (a temporary file renamed into place) and
// hashed again when read, so a torn write, a disk error or a tampered file
// is a miss, never wrong content.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
)

// Store is a content-addressed directory. A nil *Store is a valid, disabled
// cache: every Get misses and every Put does nothing.
type Store struct {
	dir string
}

// DefaultDir is <user cache dir>/terraform-provider-imageinfo.
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "terraform-provider-imageinfo"), nil
}

// Open makes a store in dir, creating it if needed. An empty dir disables
// caching and returns a nil store.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("cache directory %s: %w", dir, err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory; "" for a disabled store.
func (s *Store) Dir() string {
	if s == nil {
		return ""
	}
	return s.dir
}

// path maps "sha256:<hex>" to blobs/sha256/<hex>, refusing anything that is
// not a well-formed digest, so that no name can escape the directory.
func (s *Store) path(d string) (string, error) {
	if err := digest.Validate(d); err != nil {
		return "", err
	}
	algorithm, encoded, _ := strings.Cut(d, ":")
	return filepath.Join(s.dir, "blobs", algorithm, encoded), nil
}

// Get returns the content named by digest, if the store holds it intact.
// Content over maxSize, or that does not hash to its name, is a miss (and a
// corrupt entry is removed).
func (s *Store) Get(d string, maxSize int64) ([]byte, bool) {
	if s == nil {
		return nil, false
	}
	p, err := s.path(d)
	if err != nil {
		return nil, false
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil || int64(len(data)) > maxSize {
		return nil, false
	}
	if got, err := digest.Of(digest.Algorithm(d), data); err != nil || got != d {
		_ = os.Remove(p)
		return nil, false
	}
	return data, true
}

// Put stores data under digest, after checking that it is that content.
// Concurrent writers of the same digest write the same bytes, and each
// renames its own complete file into place, so readers never see a partial
// entry.
func (s *Store) Put(d string, data []byte) error {
	if s == nil {
		return nil
	}
	p, err := s.path(d)
	if err != nil {
		return err
	}
	if got, err := digest.Of(digest.Algorithm(d), data); err != nil || got != d {
		return fmt.Errorf("cache: content hashes to %s, not %s", got, d)
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	return writeAtomic(p, data)
}

// tagPath names the file that remembers which digest a tag pointed to.
func (s *Store) tagPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(s.dir, "tags", hex.EncodeToString(sum[:]))
}

// TagDigest returns the digest ref ("registry/repository:tag") pointed to
// when it was last read. It is a hint, not content: the caller confirms it
// with the registry (a HEAD) before trusting it.
func (s *Store) TagDigest(ref string) (string, bool) {
	if s == nil {
		return "", false
	}
	b, err := os.ReadFile(s.tagPath(ref))
	if err != nil {
		return "", false
	}
	d := strings.TrimSpace(string(b))
	if digest.Validate(d) != nil {
		return "", false
	}
	return d, true
}

// SetTagDigest remembers the digest ref points to, atomically.
func (s *Store) SetTagDigest(ref, d string) error {
	if s == nil {
		return nil
	}
	if err := digest.Validate(d); err != nil {
		return err
	}
	return writeAtomic(s.tagPath(ref), []byte(d+"\n"))
}

// writeAtomic writes data to a temporary file beside p and renames it into
// place, so that readers see the old content or the new, never a mix.
func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}
