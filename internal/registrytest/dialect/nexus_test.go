package dialect

import (
	"net/http"
	"testing"
)

// TestNexus proves the Nexus front: its capitalised BASIC challenge,
// Server header and body, anonymous public pulls and the HEAD without
// digest.
func TestNexus(t *testing.T) {
	e := newEnv(t, Nexus(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	body := `{"errors":[{"code":"UNAUTHORIZED","message":"access to the requested resource is not authorized","detail":null}]}`
	if len(body) != 113 {
		t.Fatalf("the body is %d bytes; the transcript's Content-Length is 113", len(body))
	}
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"WWW-Authenticate": `BASIC realm="Sonatype Nexus Repository Manager"`, "Server": "Nexus/3", "Content-Length": "113"}, []string{body}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""), want{401, nil, []string{body}}},
		{"wrong password", get(http.MethodGet, manifestPriv, alice, wrongPW), want{401, nil, []string{body}}},
		{"a user the repository is restricted from", func(e *env) resp {
			e.f.Restrict("team/app", "bob")
			return e.get(http.MethodGet, manifestPriv, alice, alicePW)
		},
			want{403, nil, []string{"DENIED"}}},
		{"HEAD without digest", func(e *env) resp { e.f.MisbehaveHEAD(); return e.get(http.MethodHead, manifestPub, "", "") }, want{200, map[string]string{"Docker-Content-Digest": ""}, nil}},
		{"GET keeps it", get(http.MethodGet, manifestPub, "", ""), want{200, map[string]string{"Docker-Content-Digest": "sha256:"}, nil}},
	})
}
