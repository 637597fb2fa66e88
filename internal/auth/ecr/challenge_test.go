package ecr

import (
	"testing"
)

// TestLooksLikeAccessKeyID proves long-term and temporary key ids are
// recognised and other usernames are not.
func TestLooksLikeAccessKeyID(t *testing.T) {
	tests := map[string]bool{
		"AKIAIOSFODNN7EXAMPLE":  true,
		"ASIAIOSFODNN7EXAMPLE":  true,
		" AKIAIOSFODNN7EXAMPLE": true,
		"akiaiosfodnn7example":  false,
		"AKIAIOSFODNN7EXAMPL":   false,
		"AKIAIOSFODNN7EXAMPLE1": false,
		"AIDAIOSFODNN7EXAMPLE":  false,
		"AKIAIOSFODNN7EXAMPL1":  false, // 1 is not base32
		"AWS":                   false,
		"":                      false,
	}
	for s, want := range tests {
		if got := LooksLikeAccessKeyID(s); got != want {
			t.Errorf("LooksLikeAccessKeyID(%q) = %v, want %v", s, got, want)
		}
	}
}
