// Package imageref parses image references and registry addresses the way
// `docker pull` does, and says what they are called canonically.
//
// It never does I/O. The provider's data sources, its provider functions and
// the credential lookup all normalise through this one package, so that
// `nginx`, `docker.io/library/nginx:latest` and `index.docker.io/library/nginx`
// are the same image everywhere.
package imageref
