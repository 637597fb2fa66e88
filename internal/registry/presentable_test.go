package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestClassifyHostileAnswers: what a hostile or broken registry answers is
// classified as malformed, and its text is fit to show: no token response,
// no query values, no control characters, no page-long bodies.
func TestClassifyHostileAnswers(t *testing.T) {
	base := Error{Registry: "registry.example", Repository: "team/app"}
	var syntax error = &json.SyntaxError{Offset: 1}
	tests := []struct {
		name    string
		err     error
		class   Class
		absent  []string
		present []string
	}{
		{
			name:    "refused redirect",
			err:     &url.Error{Op: "Get", URL: "http://169.254.169.254/x?sig=s3cr3t-sig", Err: &RefusedError{URL: "http://169.254.169.254/x?…", Reason: "test"}},
			class:   ClassMalformed,
			absent:  []string{"s3cr3t-sig"},
			present: []string{"refused to send a request to http://169.254.169.254/x"},
		},
		{
			name: "refused redirect of an index entry",
			err: fmt.Errorf("index entry sha256:abc: %w", &url.Error{Op: "Get", URL: "https://cdn.example/blob?X-Amz-Signature=s3cr3t-sig",
				Err: &RefusedError{URL: "http://cdn.example/blob?…", Reason: "test"}}),
			class:   ClassMalformed,
			absent:  []string{"s3cr3t-sig"},
			present: []string{"index entry sha256:abc", "https://cdn.example/blob?…"},
		},
		{
			// go-containerregistry quotes the whole token response.
			name:    "token response without a token",
			err:     fmt.Errorf("no token in bearer response:\n%s", `{"refresh_token":"rt-s3cr3t","expires_in":60}`),
			class:   ClassMalformed,
			absent:  []string{"rt-s3cr3t"},
			present: []string{"answered without a token"},
		},
		{
			name:  "realm over plain HTTP",
			err:   errors.New(`invalid realm in www-authenticate: realm scheme "http" not allowed for a secure registry; use https`),
			class: ClassMalformed,
		},
		{
			name:  "token body over the limit",
			err:   errors.New("body exceeds 65536 byte limit"),
			class: ClassMalformed,
		},
		{
			name:  "garbage token response",
			err:   syntax,
			class: ClassMalformed,
		},
		{
			name:    "terminal escapes in a body",
			err:     errors.New("unexpected status code 404 Not Found: \x1b[2J\x1b]0;pwned\x07gone"),
			class:   ClassUnknown,
			absent:  []string{"\x1b", "\x07"},
			present: []string{"gone"},
		},
		{
			name:    "a page-long body",
			err:     errors.New("unexpected status code 404 Not Found: <html>" + strings.Repeat("é", 40<<10)),
			class:   ClassUnknown,
			present: []string{"more bytes not shown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(tt.err, base)
			if e.Class != tt.class {
				t.Errorf("class %s, want %s", e.Class, tt.class)
			}
			msg := e.Error()
			for _, s := range tt.absent {
				if strings.Contains(msg, s) {
					t.Errorf("the error shows %q: %s", s, msg)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(msg, s) {
					t.Errorf("the error does not say %q: %s", s, msg)
				}
			}
			if len(e.Err.Error()) > maxCauseLength+64 {
				t.Errorf("the cause is %d bytes long", len(e.Err.Error()))
			}
			if !strings.Contains(msg, "\uFFFD") && strings.ContainsRune(tt.err.Error(), 0x1b) {
				t.Errorf("control characters were dropped without a trace: %q", msg)
			}
			if !errors.Is(e, tt.err) {
				t.Error("the original error is no longer reachable with errors.Is")
			}
		})
	}
}
