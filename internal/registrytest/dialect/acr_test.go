package dialect

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestACR proves the ACR front: access_token only, the OAuth2 refresh
// grant and the null-GUID login with a refresh token, Basic on the
// registry, its tag Link and the Azure Blob redirect.
func TestACR(t *testing.T) {
	e := newEnv(t, ACR(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	rt := e.f.RefreshToken(alice)
	realm := e.f.realm(e.f.Host)
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"WWW-Authenticate": `Bearer realm="http://` + e.f.Host + `/oauth2/token",service="` + e.f.Host + `"`}, nil}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""),
			want{401, map[string]string{"WWW-Authenticate": `scope="repository:team/app:pull"`}, []string{`"detail":[{"Type":"repository","Name":"team/app","Action":"pull"}]`}}},
		{"the token answer is access_token only", tokenFor("team/app", alice, alicePW), want{200, nil, []string{`{"access_token":"`}}},
		{"refresh token as a password", tokenFor("team/app", ACRRefreshUser, rt), want{200, nil, []string{"access_token"}}},
		{"OAuth2 refresh grant", func(e *env) resp {
			form := url.Values{"grant_type": {"refresh_token"}, "service": {e.f.Host}, "scope": {"repository:team/app:pull"}, "refresh_token": {rt}}
			return e.do(http.MethodPost, realm, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
		}, want{200, nil, []string{"access_token"}}},
		{"Basic on the registry", get(http.MethodGet, manifestPriv, "", "", "Authorization", basicHeader(alice, alicePW)), want{200, nil, nil}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`manifest tagged by \"nope\" is not found`, `"detail":{"Tag":"nope"}`}}},
		{"tags with n", get(http.MethodGet, manyTags+"?n=10", "", ""), want{200, map[string]string{"Link": `</v2/pub/many/tags/list?last=t09&n=10&orderby=>; rel="next"`}, nil}},
		{"Azure refuses a second credential", follow(http.MethodGet, "Authorization", "Bearer abc"),
			want{400, map[string]string{"x-ms-error-code": "InvalidAuthenticationInfo"}, []string{"Authentication information is not given in the correct format"}}},
		{"Azure serves the SAS URL", follow(http.MethodGet), want{200, nil, nil}},
	})
	if strings.Contains(e.token("pub/app", "", "").body, `"token"`) {
		t.Error(`ACR's token answer has "token"`)
	}
	// go-containerregistry with an identity token uses the OAuth2 POST.
	auth := authn.FromConfig(authn.AuthConfig{Username: ACRRefreshUser, IdentityToken: rt})
	before := e.f.TokenRequests().Count(http.MethodPost, "/oauth2/token")
	if _, err := remote.Get(e.ref("team/app:1"), remote.WithTransport(e.tr), remote.WithAuth(auth)); err != nil {
		t.Fatalf("pull with an identity token: %v", err)
	}
	if e.f.TokenRequests().Count(http.MethodPost, "/oauth2/token") == before {
		t.Error("the identity token did not go through the OAuth2 POST")
	}
}
