package provider

import (
	"os"
	"testing"
)

// The hardening tests, one TestAccHardening_ test per family of faults in
// its own hardening_*_test.go, drive the provider through Terraform against
// registries that misbehave the way hostile or broken ones do, and check
// three things for each fault: the outcome (a diagnostic of the right class,
// or a correct read), that no credential reached a server it must not (every
// server records what it received), and that no secret appears in a
// diagnostic, in state, or in the TRACE logs of Terraform and the provider.
// Each runs in a process of its own, set up by hardeningSetup
// (helpers_test.go).

// TestTraceLogsHoldNoSecrets searches the TRACE logs of a whole test run
// for the secrets the tests use, when IMAGEINFO_TRACE_LOGS names the
// directory they were written to:
//
//	TF_LOG=TRACE TF_LOG_PATH_MASK=/tmp/trace/%s.log TF_LOG_SDK_HELPER_RESOURCE=OFF make test
//	IMAGEINFO_TRACE_LOGS=/tmp/trace go test ./internal/provider -run TestTraceLogsHoldNoSecrets
//
// (TF_LOG_SDK_HELPER_RESOURCE=OFF keeps the test harness from logging each
// step's configuration, which holds the secrets as the tests' input.)
// Each TestAccHardening_ test searches its own logs this way on every run.
func TestTraceLogsHoldNoSecrets(t *testing.T) {
	dir := os.Getenv("IMAGEINFO_TRACE_LOGS")
	if dir == "" {
		t.Skip("IMAGEINFO_TRACE_LOGS is not set: no logs of a test run to search")
	}
	checkLogs(t, dir, []string{
		testPassword, ecrSecret, ecrRoleKey, hardPass, basicAuth(testUser, testPassword),
		"rt-identity-token-3c9d", "wrong-secret-do-not-show-11", "denied-secret", "wrong-password-9d1c", "wrong-pw-never-shown-77aa",
	})
}
