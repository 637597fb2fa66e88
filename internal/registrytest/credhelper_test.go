package registrytest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	helperclient "github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
)

const (
	helperHost    = "127.0.0.1:5000"
	helperUser    = "helper-user"
	helperSecret  = "helper-s3cret"
	tokenHost     = "token.example.test"
	identityToken = "identity-t0ken"
	missingHost   = "missing.example.test"
)

// helperEnv installs the helper as docker-credential-<name> for each name,
// puts it first on PATH, points it at a database with a password entry and
// an identity-token entry, and returns the call log's path. It uses
// t.Setenv, so its tests cannot run in parallel.
func helperEnv(t *testing.T, names ...string) (logPath string) {
	t.Helper()
	path := os.Getenv("PATH")
	for _, name := range names {
		path = BuildCredentialHelper(t, name) + string(os.PathListSeparator) + path
	}
	t.Setenv("PATH", path)
	t.Setenv(CredentialHelperDBEnv, WriteCredentialHelperDB(t, map[string]CredentialHelperEntry{
		helperHost: {Username: helperUser, Secret: helperSecret},
		tokenHost:  {Username: "<token>", Secret: identityToken},
	}))
	t.Setenv(CredentialHelperFailEnv, "")
	logPath = filepath.Join(t.TempDir(), "calls.log")
	t.Setenv(CredentialHelperLogEnv, logPath)
	// docker/cli reads credentials from this variable before any helper.
	t.Setenv("DOCKER_AUTH_CONFIG", "")
	return logPath
}

// assertNoSecretLogged fails if the call log holds a secret.
func assertNoSecretLogged(t *testing.T, logPath string) {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("read call log: %v", err)
	}
	for _, s := range []string{helperSecret, identityToken} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("call log holds a secret:\n%s", b)
		}
	}
}

// TestCredentialHelperProtocol drives the helper with the client package of
// docker-credential-helpers, as docker/cli does: get answers the database,
// an unknown server is the client's not-found error (and is written on the
// wire exactly as real helpers write it), a failing helper is an error that
// is not not-found, list answers usernames, store and erase are refused,
// and every call is logged without its secret.
func TestCredentialHelperProtocol(t *testing.T) {
	logPath := helperEnv(t, "rt")
	program := helperclient.NewShellProgramFunc("docker-credential-rt")

	t.Run("get known server", func(t *testing.T) {
		got, err := helperclient.Get(program, helperHost)
		if err != nil {
			t.Fatalf("get %s: %v", helperHost, err)
		}
		want := &credentials.Credentials{ServerURL: helperHost, Username: helperUser, Secret: helperSecret}
		if *got != *want {
			t.Errorf("get %s = %+v, want %+v", helperHost, *got, *want)
		}
	})

	t.Run("get unknown server is not found", func(t *testing.T) {
		_, err := helperclient.Get(program, missingHost)
		if !credentials.IsErrCredentialsNotFound(err) {
			t.Fatalf("get %s: err = %v, want the client's credentials-not-found error", missingHost, err)
		}
	})

	t.Run("not found on the wire", func(t *testing.T) {
		cmd := exec.Command("docker-credential-rt", "get")
		cmd.Stdin = strings.NewReader(missingHost)
		out, err := cmd.Output()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("get %s: err = %v, want exit status 1", missingHost, err)
		}
		if string(out) != "credentials not found in native keychain\n" {
			t.Errorf("get %s: stdout %q, want the standard not-found message", missingHost, out)
		}
	})

	t.Run("failing helper is an error, not not-found", func(t *testing.T) {
		t.Setenv(CredentialHelperFailEnv, "keychain is locked")
		_, err := helperclient.Get(program, helperHost)
		if err == nil {
			t.Fatal("get with REGISTRYTEST_CREDHELPER_FAIL succeeded")
		}
		if credentials.IsErrCredentialsNotFound(err) {
			t.Fatalf("get with REGISTRYTEST_CREDHELPER_FAIL: %v is not-found, want a failure", err)
		}
		if !strings.Contains(err.Error(), "keychain is locked") {
			t.Errorf("get with REGISTRYTEST_CREDHELPER_FAIL: err = %v, want the configured message", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		got, err := helperclient.List(program)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		want := map[string]string{helperHost: helperUser, tokenHost: "<token>"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("list = %v, want %v", got, want)
		}
	})

	t.Run("store and erase are refused", func(t *testing.T) {
		err := helperclient.Store(program, &credentials.Credentials{ServerURL: missingHost, Username: "u", Secret: "p"})
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("store: err = %v, want read-only", err)
		}
		if err := helperclient.Erase(program, helperHost); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("erase: err = %v, want read-only", err)
		}
	})

	t.Run("calls are logged without secrets", func(t *testing.T) {
		want := []CredentialHelperCall{
			{Helper: "rt", Action: "get", ServerURL: helperHost},
			{Helper: "rt", Action: "get", ServerURL: missingHost},
			{Helper: "rt", Action: "get", ServerURL: missingHost},
			{Helper: "rt", Action: "get", ServerURL: helperHost},
			{Helper: "rt", Action: "list"},
			{Helper: "rt", Action: "store", ServerURL: missingHost},
			{Helper: "rt", Action: "erase", ServerURL: helperHost},
		}
		if got := ReadCredentialHelperLog(t, logPath); !reflect.DeepEqual(got, want) {
			t.Errorf("calls = %+v\nwant %+v", got, want)
		}
		assertNoSecretLogged(t, logPath)
	})
}

// TestCredentialHelperDockerConfig drives the helper through docker/cli's
// config file, the way the provider reads Docker credentials: credHelpers
// picks a helper per registry ahead of credsStore, a "<token>" username is
// an identity token, not-found is no credentials and no error, and a broken
// helper is an error.
func TestCredentialHelperDockerConfig(t *testing.T) {
	logPath := helperEnv(t, "per-host", "store")
	cf := configfile.New(filepath.Join(t.TempDir(), "config.json"))
	cf.CredentialsStore = "store"
	cf.CredentialHelpers = map[string]string{helperHost: "per-host"}

	tests := []struct {
		name       string
		host       string
		fail       string
		want       types.AuthConfig
		wantErr    string
		wantHelper string
	}{
		{
			name:       "credHelpers entry",
			host:       helperHost,
			want:       types.AuthConfig{Username: helperUser, Password: helperSecret, ServerAddress: helperHost},
			wantHelper: "per-host",
		},
		{
			name:       "credsStore identity token",
			host:       tokenHost,
			want:       types.AuthConfig{IdentityToken: identityToken, ServerAddress: tokenHost},
			wantHelper: "store",
		},
		{
			name:       "not found is anonymous",
			host:       missingHost,
			want:       types.AuthConfig{},
			wantHelper: "store",
		},
		{
			name:       "broken helper is an error",
			host:       helperHost,
			fail:       "keychain is locked",
			wantErr:    "keychain is locked",
			wantHelper: "per-host",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(CredentialHelperFailEnv, tc.fail)
			before := len(ReadCredentialHelperLog(t, logPath))
			got, err := cf.GetAuthConfig(tc.host)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("GetAuthConfig(%s): err = %v, want %q", tc.host, err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("GetAuthConfig(%s): %v", tc.host, err)
			case got != tc.want:
				t.Errorf("GetAuthConfig(%s) = %+v, want %+v", tc.host, got, tc.want)
			}
			calls := ReadCredentialHelperLog(t, logPath)[before:]
			want := []CredentialHelperCall{{Helper: tc.wantHelper, Action: "get", ServerURL: tc.host}}
			if !reflect.DeepEqual(calls, want) {
				t.Errorf("helper calls = %+v, want %+v", calls, want)
			}
		})
	}
	assertNoSecretLogged(t, logPath)
}
