package ecr

import "testing"

// TestParseHost proves that exactly the ECR hostnames amazon-ecr-credential-helper
// knows are recognised, with the right account, region and partition, and that
// look-alikes (which must never be sent AWS credentials) are not.
func TestParseHost(t *testing.T) {
	tests := []struct {
		host string
		want Host
		ok   bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", Host{Name: "123456789012.dkr.ecr.us-east-1.amazonaws.com", RegistryID: "123456789012", Region: "us-east-1", Partition: "aws"}, true},
		{"123456789012.DKR.ECR.EU-WEST-3.AMAZONAWS.COM", Host{Name: "123456789012.dkr.ecr.eu-west-3.amazonaws.com", RegistryID: "123456789012", Region: "eu-west-3", Partition: "aws"}, true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", Host{Name: "123456789012.dkr.ecr.us-east-1.amazonaws.com", RegistryID: "123456789012", Region: "us-east-1", Partition: "aws"}, true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Host{Name: "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", RegistryID: "123456789012", Region: "us-gov-west-1", Partition: "aws-us-gov", FIPS: true}, true},
		{"123456789012.dkr.ecr.us-gov-east-1.amazonaws.com", Host{Name: "123456789012.dkr.ecr.us-gov-east-1.amazonaws.com", RegistryID: "123456789012", Region: "us-gov-east-1", Partition: "aws-us-gov"}, true},
		{"123456789012.dkr-ecr.us-west-2.on.aws", Host{Name: "123456789012.dkr-ecr.us-west-2.on.aws", RegistryID: "123456789012", Region: "us-west-2", Partition: "aws", DualStack: true}, true},
		{"123456789012.dkr-ecr-fips.us-east-2.on.aws", Host{Name: "123456789012.dkr-ecr-fips.us-east-2.on.aws", RegistryID: "123456789012", Region: "us-east-2", Partition: "aws", DualStack: true, FIPS: true}, true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Host{Name: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", RegistryID: "123456789012", Region: "cn-north-1", Partition: "aws-cn"}, true},
		{"123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", Host{Name: "123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", RegistryID: "123456789012", Region: "cn-northwest-1", Partition: "aws-cn", DualStack: true}, true},
		{"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", Host{Name: "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", RegistryID: "123456789012", Region: "eusc-de-east-1", Partition: "aws-eusc"}, true},
		{"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", Host{Name: "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", RegistryID: "123456789012", Region: "us-iso-east-1", Partition: "aws-iso"}, true},
		{"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", Host{Name: "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", RegistryID: "123456789012", Region: "us-isob-east-1", Partition: "aws-iso-b"}, true},
		{"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", Host{Name: "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", RegistryID: "123456789012", Region: "eu-isoe-west-1", Partition: "aws-iso-e"}, true},
		{"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", Host{Name: "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", RegistryID: "123456789012", Region: "us-isof-south-1", Partition: "aws-iso-f"}, true},

		// Look-alikes and near misses: none of these may get AWS credentials.
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", Host{}, false},
		{"evil123456789012.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"evil.123456789012.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"12345678901.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"1234567890123.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"12345678901a.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr..amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:5000", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:", Host{}, false},
		{"https://123456789012.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/repo", Host{}, false},
		{"123456789012.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.co", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.notamazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1.on.aws.evil.example", Host{}, false},
		{"123456789012xdkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"123456789012.dkrxecr.us-east-1.amazonaws.com", Host{}, false},
		{"123456789012.dkr.ecr.us-east-1xamazonaws.com", Host{}, false},
		{" 123456789012.dkr.ecr.us-east-1.amazonaws.com", Host{}, false},
		{"public.ecr.aws", Host{}, false},
		{"ghcr.io", Host{}, false},
		{"", Host{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, ok := ParseHost(tt.host)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseHost(%q) = %+v, %v; want %+v, %v", tt.host, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestIsPublic proves ECR Public is recognised on its own host only.
func TestIsPublic(t *testing.T) {
	tests := map[string]bool{
		"public.ecr.aws":              true,
		"PUBLIC.ECR.AWS":              true,
		"public.ecr.aws:443":          true,
		"public.ecr.aws:5000":         false,
		"public.ecr.aws.evil.example": false,
		"evilpublic.ecr.aws":          false,
		"ecr.aws":                     false,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": false,
		"": false,
	}
	for host, want := range tests {
		if got := IsPublic(host); got != want {
			t.Errorf("IsPublic(%q) = %v, want %v", host, got, want)
		}
	}
}

// FuzzParseHost checks that whatever ParseHost accepts is an ECR name that
// round-trips: the parsed fields rebuild a host that parses to the same value.
func FuzzParseHost(f *testing.F) {
	f.Add("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	f.Add("123456789012.dkr-ecr-fips.us-east-1.on.aws:443")
	f.Add("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example")
	f.Fuzz(func(t *testing.T, host string) {
		h, ok := ParseHost(host)
		if !ok {
			return
		}
		if len(h.RegistryID) != 12 || h.Region == "" || h.Partition == "" {
			t.Fatalf("ParseHost(%q) accepted an incomplete host: %+v", host, h)
		}
		again, ok := ParseHost(h.Name)
		if !ok || again != h {
			t.Fatalf("ParseHost(%q) = %+v, but its Name parses to %+v, %v", host, h, again, ok)
		}
	})
}
