// Package logenv decides the provider's log levels before the plugin server
// starts.
package logenv

import (
	"os"
	"strings"
	"sync/atomic"
)

// Terraform shows a provider's log lines only when TF_LOG or TF_LOG_PROVIDER
// asks for them; otherwise it reads every line the provider writes to stderr
// and throws it away. terraform-plugin-go logs at TRACE unless told a level,
// and terraform-plugin-framework writes dozens of lines for every data source
// it reads, so a plan of many data sources spent more CPU on log lines nobody
// reads, in the provider and in Terraform, than on the reads themselves.
//
// quietLogEnv lists the settings that turn the provider's loggers off when
// no one reads them: Terraform is not asked to show provider logs, and no
// logger of the provider or its SDK was given a level. Any of those set, or a
// debug session (whose output goes to the developer's terminal), leaves
// logging as terraform-plugin-go sets it up.
func quietLogEnv(getenv func(string) string, debug bool) map[string]string {
	if debug {
		return nil
	}
	for _, v := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if level := strings.TrimSpace(getenv(v)); level != "" && !strings.EqualFold(level, "off") {
			return nil
		}
	}
	quiet := map[string]string{}
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_IMAGEINFO"} {
		if getenv(v) != "" {
			return nil
		}
	}
	// TF_LOG_SDK is the level of the SDK's root logger, which its proto and
	// framework subsystems inherit; TF_LOG_PROVIDER_IMAGEINFO is tflog's.
	quiet["TF_LOG_SDK"] = "off"
	quiet["TF_LOG_PROVIDER_IMAGEINFO"] = "off"
	return quiet
}

// off records that Quiet turned the loggers off.
var off atomic.Bool

// Quiet applies quietLogEnv to this process.
func Quiet(debug bool) {
	env := quietLogEnv(os.Getenv, debug)
	for k, v := range env {
		_ = os.Setenv(k, v)
	}
	off.Store(len(env) > 0)
}

// Off reports whether Quiet turned the provider's loggers off in this
// process: then no log line is written, and work done only for log lines
// (masking their secrets) can be skipped.
func Off() bool { return off.Load() }
