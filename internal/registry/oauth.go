package registry

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// oauthFallbackTransport widens go-containerregistry's fallback from the
// OAuth2 refresh-token POST to the token spec's GET. go-containerregistry
// falls back only when the POST answers 404; token servers without OAuth2
// also answer 405, 400 or 401, and containerd falls back on those too. Such
// answers to a refresh-token POST are reported upwards as 404, so that the
// GET with Basic credentials is tried.
type oauthFallbackTransport struct {
	inner http.RoundTripper
}

// maxFormSize bounds what is read of a token request body to recognise it.
const maxFormSize = 64 << 10

func (t *oauthFallbackTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isRefreshTokenPOST(req) {
		return t.inner.RoundTrip(req)
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxFormSize))
		resp.Body.Close()
		return &http.Response{
			Status:     "404 Not Found (the token server refused the OAuth2 POST with " + resp.Status + ")",
			StatusCode: http.StatusNotFound,
			Proto:      resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header:  http.Header{"Content-Type": []string{"text/plain"}},
			Body:    io.NopCloser(strings.NewReader("")),
			Request: req,
		}, nil
	}
	return resp, nil
}

func isRefreshTokenPOST(req *http.Request) bool {
	if req.Method != http.MethodPost || req.GetBody == nil ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, maxFormSize))
	if err != nil {
		return false
	}
	form, err := url.ParseQuery(string(b))
	return err == nil && form.Get("grant_type") == "refresh_token"
}

// CloseIdleConnections passes Client.Close through to the transport below.
func (t *oauthFallbackTransport) CloseIdleConnections() {
	if ci, ok := t.inner.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
