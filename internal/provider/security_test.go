package provider

import (
	"strings"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// caBlock is a registry block with only TLS settings: host trusts reg's CA.
// A token realm or redirect target on another host:port than the registry
// needs one, as a block's TLS settings stay with its own host:port.
func caBlock(reg *registrytest.Registry, host string) string {
	return registryBlock("address", q(host), "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM))))
}
