package dialect

import (
	"net/http"
	"strings"
	"testing"
)

// TestQuay proves the Quay front: the "true" ping, UNAUTHORIZED with
// detail {} for private and missing repositories alike, its token service
// and tag Link.
func TestQuay(t *testing.T) {
	e := newEnv(t, Quay(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	notAuthorized := `{"errors":[{"code":"UNAUTHORIZED","message":"access to the requested resource is not authorized","detail":{}}]}`
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"Content-Type": "text/html; charset=utf-8", "WWW-Authenticate": `/v2/auth",service="` + e.f.Host + `"`}, []string{"true"}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""),
			want{401, map[string]string{"WWW-Authenticate": `scope="repository:team/app:pull"`}, []string{notAuthorized}}},
		{"a missing repository is the same 401", get(http.MethodGet, missingRepo, alice, alicePW), want{401, nil, []string{notAuthorized}}},
		{"wrong password", tokenFor("team/app", alice, wrongPW), want{401, nil, []string{"Specified credentials are invalid"}}},
		{"an anonymous token without scope", func(e *env) resp { return e.do(http.MethodGet, e.f.realm(e.f.Host), nil) }, want{401, nil, nil}},
		{"POST is Flask's 405", func(e *env) resp { return e.do(http.MethodPost, e.f.realm(e.f.Host), strings.NewReader("")) },
			want{405, map[string]string{"Content-Type": "text/html"}, []string{"405 Method Not Allowed"}}},
		{"Basic on the registry", get(http.MethodGet, manifestPub, "", "", "Authorization", basicHeader(alice, alicePW)),
			want{401, nil, []string{`{"error": "Invalid bearer token format"}`}}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}`}}},
		{"n is capped at 100", get(http.MethodGet, manyTags+"?n=500", "", ""), want{200, map[string]string{"Link": ""}, []string{`"t24"`}}},
		{"tags with n", get(http.MethodGet, manyTags+"?n=10", "", ""), want{200, map[string]string{"Link": `</v2/pub/many/tags/list?n=10&last=t09>; rel="next"`}, nil}},
		{"config blob", get(http.MethodGet, e.pubConfig(), "", ""), want{302, map[string]string{"Location": "X-Amz-Signature="}, nil}},
	})
}

// TestQuayLegacy proves next_page paging, `last` read as a token, and the
// 404 for an OCI index the Accept header lacks.
func TestQuayLegacy(t *testing.T) {
	e := newEnv(t, QuayLegacy(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	first := e.get(http.MethodGet, manyTags+"?n=10", "", "")
	link := first.header.Get("Link")
	if !strings.HasPrefix(link, "</v2/pub/many/tags/list?next_page=gAAAAAB") || !strings.HasSuffix(link, `&n=10>; rel="next"`) {
		t.Fatalf("Link %q, want a relative next_page link", link)
	}
	runChecks(t, e, []check{
		{"the next page", get(http.MethodGet, strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`), "", ""), want{200, nil, []string{`"t10"`, `"t19"`}}},
		{"a tag name as last starts over", get(http.MethodGet, manyTags+"?n=10&last=t09", "", ""), want{200, nil, []string{`"tags":["t00"`}}},
		{"default page of 50 holds all 25", get(http.MethodGet, manyTags, "", ""), want{200, map[string]string{"Link": ""}, nil}},
		{"Accept without the OCI index type", get(http.MethodGet, multi, "", "", "Accept", indexAccept), want{404, nil, []string{`"message":"manifest unknown"`}}},
	})
}
