package registrytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The environment of the credential helper BuildCredentialHelper installs.
// Every helper it installs reads the same variables, whatever its name.
const (
	// CredentialHelperDBEnv names a JSON file mapping server URL to
	// CredentialHelperEntry, which get and list answer from. Keys match
	// exactly what the client asks for: docker/cli asks for a host[:port],
	// or "https://index.docker.io/v1/" for Docker Hub. Unset means an empty
	// store. See WriteCredentialHelperDB.
	CredentialHelperDBEnv = "REGISTRYTEST_CREDHELPER_DB"
	// CredentialHelperFailEnv, when set, makes every get fail (exit status
	// 1) with its value as the message, like a broken helper.
	CredentialHelperFailEnv = "REGISTRYTEST_CREDHELPER_FAIL"
	// CredentialHelperLogEnv, when set, names a file every call appends a
	// line to (helper name, action, server URL; never the secret). See
	// ReadCredentialHelperLog.
	CredentialHelperLogEnv = "REGISTRYTEST_CREDHELPER_LOG"
)

// CredentialHelperEntry is what the helper answers for one server URL. A
// Username of "<token>" makes docker/cli read Secret as an identity token.
type CredentialHelperEntry struct {
	Username string
	Secret   string
}

// CredentialHelperCall is one call the helper logged.
type CredentialHelperCall struct {
	// Helper is the name the helper was installed under, without the
	// "docker-credential-" prefix.
	Helper string `json:"helper"`
	// Action is "get", "list", "store" or "erase".
	Action string `json:"action"`
	// ServerURL is the server URL get, store and erase were asked about.
	ServerURL string `json:"serverURL,omitempty"`
}

var credHelper struct {
	once sync.Once
	path string
	err  error
}

// BuildCredentialHelper installs the fake credential helper of
// internal/registrytest/credhelper as "docker-credential-<name>" in a new
// t.TempDir(), and returns that directory for the caller to put first on
// PATH. Its answers come from the environment (CredentialHelperDBEnv,
// CredentialHelperFailEnv, CredentialHelperLogEnv), which the helper process
// inherits from the test.
//
// The helper is built with the go command once per test process, into a
// temporary directory that is left behind when the process exits; each call
// copies it. The first call takes a few seconds with a cold build cache.
func BuildCredentialHelper(t testing.TB, name string) (dir string) {
	t.Helper()
	if name == "" || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, os.PathListSeparator) {
		t.Fatalf("registrytest: credential helper name %q: want a non-empty name without path separators", name)
	}
	credHelper.once.Do(func() {
		credHelper.path, credHelper.err = buildCredentialHelper()
	})
	if credHelper.err != nil {
		t.Fatalf("registrytest: build credential helper: %v", credHelper.err)
	}
	dir = t.TempDir()
	dst := filepath.Join(dir, "docker-credential-"+name+exeSuffix())
	if err := copyExecutable(credHelper.path, dst); err != nil {
		t.Fatalf("registrytest: install credential helper: %v", err)
	}
	return dir
}

// buildCredentialHelper runs go build on the helper's package, found next
// to this file so that it works from any test package's directory.
func buildCredentialHelper() (string, error) {
	goCmd, err := goCommand()
	if err != nil {
		return "", err
	}
	src, err := credentialHelperSource(goCmd)
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp("", "registrytest-credhelper-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(out, "docker-credential-registrytest"+exeSuffix())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, ".")
	cmd.Dir = src
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(out)
		return "", fmt.Errorf("%s build in %s: %w\n%s", goCmd, src, err, output.Bytes())
	}
	return bin, nil
}

// credentialHelperSource returns the directory of the helper's package:
// beside this file, or, in a test binary built with -trimpath (whose source
// paths are import paths), where go list finds it.
func credentialHelperSource(goCmd string) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the registrytest package source")
	}
	if filepath.IsAbs(file) {
		src := filepath.Join(filepath.Dir(file), "credhelper")
		if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
			return "", fmt.Errorf("helper source: %w", err)
		}
		return src, nil
	}
	pkg := reflect.TypeFor[Registry]().PkgPath() + "/credhelper"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goCmd, "list", "-f", "{{.Dir}}", pkg)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s list %s: %w\n%s", goCmd, pkg, err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

// goCommand prefers the go command of the toolchain that built this test
// binary, which is the one whose module cache and build cache are warm.
func goCommand() (string, error) {
	// runtime.GOROOT is deprecated because a copied binary's build root
	// means nothing; a test binary runs where go test built it.
	root := runtime.GOROOT() //nolint:staticcheck // SA1019, see above
	if root != "" {
		p := filepath.Join(root, "bin", "go"+exeSuffix())
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	return p, nil
}

// copyExecutable hard-links src to dst, or copies it where links fail
// (another file system).
func copyExecutable(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// WriteCredentialHelperDB writes entries (server URL -> credentials) as a
// helper database file in a new t.TempDir() and returns its path, for
// CredentialHelperDBEnv.
func WriteCredentialHelperDB(t testing.TB, entries map[string]CredentialHelperEntry) string {
	t.Helper()
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatalf("registrytest: encode credential helper database: %v", err)
	}
	path := filepath.Join(t.TempDir(), "credhelper-db.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("registrytest: write credential helper database: %v", err)
	}
	return path
}

// ReadCredentialHelperLog returns the calls logged to path (the value of
// CredentialHelperLogEnv), oldest first; none if the file does not exist.
func ReadCredentialHelperLog(t testing.TB, path string) []CredentialHelperCall {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("registrytest: read credential helper log: %v", err)
	}
	defer f.Close()
	var calls []CredentialHelperCall
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c CredentialHelperCall
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("registrytest: credential helper log line %q: %v", sc.Text(), err)
		}
		calls = append(calls, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("registrytest: read credential helper log: %v", err)
	}
	return calls
}
