// Package registry resolves image references against registries that speak
// the OCI distribution API (Docker Registry v2).
//
// go-containerregistry does the wire protocol's hard parts: the ping, the
// challenge and the token exchange. This package adds what a Terraform
// provider needs on top: one client shared by every data source of a run,
// per-host TLS settings, retries that honour Retry-After inside the caller's
// deadline, manifests checked against their digests, and errors classified
// so that each failure becomes a diagnostic that says what to do.
//
// It never imports the Terraform framework.
package registry
