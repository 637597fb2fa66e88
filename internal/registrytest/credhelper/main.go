// Command credhelper is a Docker credential helper for tests: it speaks the
// protocol of github.com/docker/docker-credential-helpers (it is served by
// that module's credentials package, as real helpers are) and answers from a
// JSON file instead of a keychain. registrytest.BuildCredentialHelper builds
// it and installs it as docker-credential-<name>.
//
// Its environment:
//
//   - REGISTRYTEST_CREDHELPER_DB names a JSON file mapping server URL to
//     {"Username": ..., "Secret": ...}. Lookups are exact, as docker/cli
//     asks for the key it stores credentials under (a host[:port], or
//     "https://index.docker.io/v1/"). Unset means an empty store.
//   - REGISTRYTEST_CREDHELPER_FAIL, when set, makes every get fail with its
//     value as the message, like a helper whose keychain is locked.
//   - REGISTRYTEST_CREDHELPER_LOG, when set, names a file each call appends
//     one JSON line to: the helper's name, the action and the server URL.
//     Secrets are never written.
//
// An unknown server URL is answered as every real helper answers it: the
// message "credentials not found in native keychain" on stdout and exit
// status 1, which the client package turns into an error that
// credentials.IsErrCredentialsNotFound recognises and docker/cli's native
// store treats as "no credentials" rather than as a failure. store and erase
// fail: the store is read-only.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"
)

// The environment variables, also declared in package registrytest.
const (
	envDB   = "REGISTRYTEST_CREDHELPER_DB"
	envFail = "REGISTRYTEST_CREDHELPER_FAIL"
	envLog  = "REGISTRYTEST_CREDHELPER_LOG"
)

// entry is one server's credentials in the database file.
type entry struct {
	Username string
	Secret   string
}

// call is one line of the call log.
type call struct {
	Helper    string `json:"helper"`
	Action    string `json:"action"`
	ServerURL string `json:"serverURL,omitempty"`
}

// helper implements credentials.Helper over the database file.
type helper struct {
	name string
}

var errReadOnly = errors.New("registrytest credential helper is read-only")

func (h helper) Add(c *credentials.Credentials) error {
	if err := h.log(credentials.ActionStore, c.ServerURL); err != nil {
		return err
	}
	return errReadOnly
}

func (h helper) Delete(serverURL string) error {
	if err := h.log(credentials.ActionErase, serverURL); err != nil {
		return err
	}
	return errReadOnly
}

func (h helper) Get(serverURL string) (string, string, error) {
	if err := h.log(credentials.ActionGet, serverURL); err != nil {
		return "", "", err
	}
	if msg := os.Getenv(envFail); msg != "" {
		return "", "", errors.New(msg)
	}
	db, err := load()
	if err != nil {
		return "", "", err
	}
	e, ok := db[serverURL]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e.Username, e.Secret, nil
}

// List answers server URL -> username, as real helpers do.
func (h helper) List() (map[string]string, error) {
	if err := h.log(credentials.ActionList, ""); err != nil {
		return nil, err
	}
	db, err := load()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(db))
	for url, e := range db {
		out[url] = e.Username
	}
	return out, nil
}

func load() (map[string]entry, error) {
	path := os.Getenv(envDB)
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read credential database: %w", err)
	}
	var db map[string]entry
	if err := json.Unmarshal(b, &db); err != nil {
		return nil, fmt.Errorf("parse credential database %s: %w", path, err)
	}
	return db, nil
}

// log appends one line per call. A helper that cannot log fails, so a test
// never silently loses the evidence it asserts on.
func (h helper) log(action, serverURL string) error {
	path := os.Getenv(envLog)
	if path == "" {
		return nil
	}
	line, err := json.Marshal(call{Helper: h.name, Action: action, ServerURL: serverURL})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open call log: %w", err)
	}
	// One write of a short line with O_APPEND: concurrent helpers do not
	// interleave.
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write call log: %w", err)
	}
	return nil
}

func main() {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	credentials.Name = name
	credentials.Package = "github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/credhelper"
	credentials.Version = "v0.0.0-registrytest"
	credentials.Serve(helper{name: strings.TrimPrefix(name, "docker-credential-")})
}
