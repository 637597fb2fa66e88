package registrytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// TokenExpiry reads the exp claim of the JWT in a "Bearer <token>"
// Authorization value, without verifying it (the registry does that): for
// tests that act on when a token of this package expires.
func TokenExpiry(authorization string) (time.Time, bool) {
	scheme, tok, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return time.Time{}, false
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}

// strictExpiry refuses a request whose bearer token's exp has come, with
// the answer distribution gives a token it does not accept. Tokens it
// cannot read pass to distribution, which refuses them itself.
func (r *Registry) strictExpiry(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if exp, ok := TokenExpiry(req.Header.Get("Authorization")); ok && !time.Now().Before(exp) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service=%q,error="invalid_token"`, r.TokenURL, Service))
			writeErrors(w, http.StatusUnauthorized, "UNAUTHORIZED", "token expired")
			return
		}
		next.ServeHTTP(w, req)
	})
}

// UntilExpired is a wrapper for Options.Wrap that holds the requests match
// selects while they carry the first bearer token any of them carried,
// until a second after that token's exp: with StrictTokenExpiry, they are
// then refused as expired, so that the token expires in the middle of a
// run however fast the client is. Requests with another token pass at
// once; a held request whose client leaves is dropped.
func UntilExpired(match func(*http.Request) bool) func(http.Handler) http.Handler {
	var mu sync.Mutex
	first, until := "", time.Time{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			authz := req.Header.Get("Authorization")
			exp, ok := TokenExpiry(authz)
			if !match(req) || !ok {
				next.ServeHTTP(w, req)
				return
			}
			mu.Lock()
			if first == "" {
				first, until = authz, exp.Add(time.Second)
			}
			hold := authz == first
			mu.Unlock()
			if hold {
				select {
				case <-time.After(time.Until(until)):
				case <-req.Context().Done():
					return
				}
			}
			next.ServeHTTP(w, req)
		})
	}
}
