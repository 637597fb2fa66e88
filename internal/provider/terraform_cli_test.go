package provider

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

// terraformPlan runs `terraform plan` on config with this provider served
// in-process, as `-debug` serves it (TF_REATTACH_PROVIDERS), and returns
// what Terraform printed. It is for what terraform-plugin-testing cannot
// check: warnings, which never fail a step. Like the acceptance tests, it
// runs only with TF_ACC set, and only the terraform of TF_ACC_TERRAFORM_PATH.
func terraformPlan(t *testing.T, config string) (string, error) {
	t.Helper()
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || tf == "" {
		t.Skip("TF_ACC and TF_ACC_TERRAFORM_PATH must be set to run terraform")
	}
	// The provider's loggers write to this process's stderr: nothing to read.
	t.Setenv("TF_LOG_SDK", "off")
	t.Setenv("TF_LOG_PROVIDER_IMAGEINFO", "off")
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig)
	closed := make(chan struct{})
	// The address the CLI gives "imageinfo/imageinfo": TestMain sets the
	// host to the CLI's own registry (registry.opentofu.org for OpenTofu).
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = tfcli.TerraformRegistry
	}
	address := tfcli.Address(host)
	go func() {
		err := tf6server.Serve(address, ProtocolV6("test"),
			tf6server.WithDebug(ctx, reattach, closed), tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
		if err != nil {
			t.Errorf("serving the provider: %v", err)
		}
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		t.Fatal("the provider stopped before it listened")
	}
	defer func() {
		cancel()
		<-closed
	}()
	type addr struct{ Network, String string }
	providers, err := json.Marshal(map[string]any{address: map[string]any{
		"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
		"Addr": addr{rc.Addr.Network(), rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	main := "terraform {\n  required_providers {\n    imageinfo = { source = \"imageinfo/imageinfo\" }\n  }\n}\n" + config
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, tf, "plan", "-input=false", "-no-color", "-lock=false")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+string(providers), "TF_IN_AUTOMATION=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
