package digest

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	hex64 := strings.Repeat("a", 64)
	for _, tt := range []struct {
		in, err string // err: "" for valid, else a part of the message
	}{
		{"sha256:" + hex64, ""},
		{"sha512:" + strings.Repeat("0", 128), ""},
		{"sha384:" + strings.Repeat("a", 96), "is not one OCI registries use"},
		{"md5:" + strings.Repeat("a", 32), "is not one OCI registries use"},
		{"sha256:" + strings.Repeat("A", 64), "lower-case hex"},
		{"sha256:" + strings.Repeat("a", 63), "64 lower-case hex"},
		{"sha256:" + strings.Repeat("g", 64), "invalid digest"},
		{"sha512:" + hex64, "128 lower-case hex"},
		{hex64, "expected sha256:"},
		{"", "expected sha256:"},
	} {
		err := Validate(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Validate(%q) = %v, want an error containing %q", tt.in, err, tt.err)
		}
	}
}

func TestOf(t *testing.T) {
	got, err := Of("sha256", []byte("hello"))
	if err != nil || got != "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Errorf("Of(sha256, hello) = %q, %v", got, err)
	}
	got, err = Of("sha512", nil)
	if err != nil || !strings.HasPrefix(got, "sha512:cf83e1357eefb8bd") || Validate(got) != nil {
		t.Errorf("Of(sha512, nil) = %q, %v", got, err)
	}
	if _, err := Of("sha384", nil); err == nil {
		t.Error("Of(sha384) hashed with an algorithm OCI does not register")
	}
	if a := Algorithm("sha512:abc"); a != "sha512" {
		t.Errorf("Algorithm = %q", a)
	}
}
