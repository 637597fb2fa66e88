package registry

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestOAuthFallback: a refresh-token POST refused with 400, 401 or 405 is
// reported as 404, go-containerregistry's signal to fall back to GET; other
// requests and answers pass untouched.
func TestOAuthFallback(t *testing.T) {
	for _, tt := range []struct {
		status    int
		grantType string
		want      int
	}{
		{http.StatusMethodNotAllowed, "refresh_token", http.StatusNotFound},
		{http.StatusBadRequest, "refresh_token", http.StatusNotFound},
		{http.StatusUnauthorized, "refresh_token", http.StatusNotFound},
		{http.StatusNotFound, "refresh_token", http.StatusNotFound},
		{http.StatusOK, "refresh_token", http.StatusOK},
		{http.StatusInternalServerError, "refresh_token", http.StatusInternalServerError},
		{http.StatusUnauthorized, "password", http.StatusUnauthorized},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) }))
		form := url.Values{"grant_type": {tt.grantType}, "refresh_token": {"rt"}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&oauthFallbackTransport{inner: http.DefaultTransport}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s answered %d: got %d, want %d", tt.grantType, tt.status, resp.StatusCode, tt.want)
		}
		srv.Close()
	}
}
