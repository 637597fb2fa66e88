package awsapi

import (
	"encoding/json"
	"net/http"
)

// RegistryMiddleware wraps a registry handler with ECR's authentication: a
// request must carry Basic credentials "AWS" and a password this stand-in
// issued that has not expired. Anything else gets 401 with ECR's challenge,
//
//	WWW-Authenticate: Basic realm="https://<registryHost>/",service="ecr.amazonaws.com"
//
// and an ECR-like error body. An accepted request reaches next without its
// Authorization header, so next can be a registry running without auth.
// registryHost is the host the challenge names (ECR names itself; tests may
// pass an ECR hostname or the listener's host:port).
//
// Real ECR answers some refusals of an issued-but-expired password with 403
// DENIED; this stand-in answers 401 for every refusal, with a body that says
// which, so a client must treat both alike (drop the password, fetch anew).
func (e *ECR) RegistryMiddleware(registryHost string) func(http.Handler) http.Handler {
	challenge := `Basic realm="https://` + registryHost + `/",service="ecr.amazonaws.com"`
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, password, ok := r.BasicAuth()
			if !ok || user != "AWS" || !e.Valid(password) {
				code, msg := "UNAUTHORIZED", "Not Authorized"
				if ok && user == "AWS" && e.Issued(password) {
					code, msg = "DENIED", "Your authorization token has expired. Reauthenticate and try again."
				}
				w.Header().Set("WWW-Authenticate", challenge)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(map[string]any{
					"errors": []map[string]string{{"code": code, "message": msg}},
				})
				return
			}
			r = r.Clone(r.Context())
			r.Header.Del("Authorization")
			next.ServeHTTP(w, r)
		})
	}
}
