package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
)

func sha256Of(b []byte) string {
	d, _ := digest.Of("sha256", b)
	return d
}

func TestStoreRoundTrip(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"schemaVersion":2}`)
	d := sha256Of(data)
	if _, ok := s.Get(d, 1<<20); ok {
		t.Fatal("hit in an empty store")
	}
	if err := s.Put(d, data); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Get(d, 1<<20)
	if !ok || string(got) != string(data) {
		t.Fatalf("got %q, %v", got, ok)
	}
	if _, ok := s.Get(d, 5); ok {
		t.Error("content over maxSize was returned")
	}
}

// TestStoreRefusesWrongContent: content is only stored under its own digest,
// and an entry altered on disk is a miss that gets removed.
func TestStoreRefusesWrongContent(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	data := []byte("content")
	if err := s.Put(sha256Of([]byte("other")), data); err == nil {
		t.Fatal("stored content under another digest")
	}
	d := sha256Of(data)
	if err := s.Put(d, data); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "blobs", "sha256", d[len("sha256:"):])
	if err := os.WriteFile(p, []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(d, 1<<20); ok {
		t.Fatal("a tampered entry was returned")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("the tampered entry was not removed")
	}
}

func TestStoreRejectsMalformedDigests(t *testing.T) {
	s, _ := Open(t.TempDir())
	for _, d := range []string{"", "sha256:../../etc/passwd", "sha256:ABC", "md5:0123", "sha256:" + fmt.Sprint(123)} {
		if err := s.Put(d, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", d)
		}
		if _, ok := s.Get(d, 10); ok {
			t.Errorf("Get(%q) hit", d)
		}
	}
}

func TestDisabledStore(t *testing.T) {
	s, err := Open("")
	if err != nil || s != nil {
		t.Fatalf("Open(\"\") = %v, %v; want a nil store", s, err)
	}
	if err := s.Put(sha256Of([]byte("x")), []byte("x")); err != nil {
		t.Error(err)
	}
	if _, ok := s.Get(sha256Of([]byte("x")), 10); ok {
		t.Error("a disabled store hit")
	}
	if s.Dir() != "" {
		t.Error("a disabled store has a directory")
	}
}

// TestStoreConcurrentWriters: many writers of one digest, as several
// Terraform processes sharing a cache would be, leave one intact entry and
// no temporary files.
func TestStoreConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(i)
	}
	d := sha256Of(data)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := Open(dir)
			if err := s.Put(d, data); err != nil {
				t.Error(err)
			}
			if got, ok := s.Get(d, 1<<20); ok && len(got) != len(data) {
				t.Error("read a partial entry")
			}
		}()
	}
	wg.Wait()
	entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if len(entries) != 1 {
		t.Errorf("%d files in the store, want 1", len(entries))
	}
}

func TestTagDigest(t *testing.T) {
	s, _ := Open(t.TempDir())
	ref := "ghcr.io/o/app:v1"
	if _, ok := s.TagDigest(ref); ok {
		t.Fatal("hit in an empty store")
	}
	d1, d2 := sha256Of([]byte("one")), sha256Of([]byte("two"))
	if err := s.SetTagDigest(ref, d1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTagDigest(ref, d2); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.TagDigest(ref); !ok || got != d2 {
		t.Errorf("got %q, %v; want the last digest set", got, ok)
	}
	if got, ok := s.TagDigest("ghcr.io/o/app:v2"); ok {
		t.Errorf("another tag got %q", got)
	}
	if err := s.SetTagDigest(ref, "latest"); err == nil {
		t.Error("a malformed digest was remembered")
	}
	var disabled *Store
	if err := disabled.SetTagDigest(ref, d1); err != nil {
		t.Error(err)
	}
	if _, ok := disabled.TagDigest(ref); ok {
		t.Error("a disabled store remembered a tag")
	}
}
