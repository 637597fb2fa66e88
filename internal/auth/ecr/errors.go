package ecr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// Codes this package sets on an Error when AWS itself gave none. AWS error
// codes (AccessDeniedException, UnrecognizedClientException,
// InvalidSignatureException, ExpiredTokenException, and from STS AccessDenied,
// InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken) are passed through
// as AWS sent them.
const (
	// CodeNoCredentials: the default AWS credential chain found nothing.
	CodeNoCredentials = "NoCredentials"
	// CodeCredentials: a credential source exists but failed (an expired SSO
	// session, a failing credential_process, ...), without an AWS error code.
	CodeCredentials = "CredentialsError"
	// CodeInvalidConfig: the AWS configuration could not be loaded, e.g. the
	// named profile does not exist.
	CodeInvalidConfig = "InvalidConfig"
	// CodeRequestFailed: the request did not get an AWS answer (network, TLS).
	CodeRequestFailed = "RequestFailed"
	// CodeInvalidResponse: AWS answered, but not with a usable token.
	CodeInvalidResponse = "InvalidResponse"
	// CodeCanceled: the caller's context ended first.
	CodeCanceled = "Canceled"
)

// Error is a failure to obtain an ECR password, classified so that the
// provider can say what to fix. Its text never contains a secret key, a session
// token or an ECR password: Message is redacted when the Error is built, and
// Err (the SDK's error, kept for errors.Is/As) is not part of Error().
type Error struct {
	// Op is the AWS operation that failed: "GetAuthorizationToken", or
	// "AssumeRole" when assuming role_arn failed first. Empty for failures
	// before any call (no credentials, bad configuration).
	Op string
	// Host is the registry host the password was for.
	Host string
	// Region is where the call was made; RegistryID the registry's account id
	// (empty for ECR Public, or a non-ECR host without registry_id).
	Region     string
	RegistryID string
	// RoleARN is the role_arn assumed before calling ECR, if any.
	RoleARN string
	// Code is the AWS error code, or one of the Code* constants of this package.
	Code string
	// Message is AWS's message, or this package's description of the failure.
	Message string
	// Public is set for ECR Public, whose permissions differ.
	Public bool
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ecr: ")
	switch {
	case e.Op == "AssumeRole" && e.RoleARN != "":
		b.WriteString("AssumeRole of " + e.RoleARN + " failed")
	case e.Op != "":
		b.WriteString(e.Op + " failed")
	default:
		b.WriteString("cannot get an ECR password")
	}
	b.WriteString(" for registry " + e.Host)
	var where []string
	if e.RegistryID != "" {
		where = append(where, "registry id "+e.RegistryID)
	}
	if e.Region != "" {
		where = append(where, "region "+e.Region)
	}
	if len(where) > 0 {
		b.WriteString(" (" + strings.Join(where, ", ") + ")")
	}
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		if e.Code != "" {
			b.WriteString(": ")
		}
		b.WriteString(strings.TrimRight(e.Message, ". "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// classify turns an error from loading the AWS configuration or from the SDK
// into an *Error. redact removes every secret the Source knows of from text
// that reaches the message.
func classify(err error, base Error, redact func(string) string) *Error {
	e := base
	e.Err = err

	var notExist config.SharedConfigProfileNotExistError
	if errors.As(err, &notExist) {
		e.Op = ""
		e.Code = CodeInvalidConfig
		e.Message = redact(fmt.Sprintf("the AWS profile %q does not exist in the shared config or credentials file", notExist.Profile))
		return &e
	}
	var loadErr *configLoadError
	if errors.As(err, &loadErr) {
		e.Op = ""
		e.Code = CodeInvalidConfig
		e.Message = redact("loading the AWS configuration: " + loadErr.err.Error())
		return &e
	}

	ops := operationErrors(err)
	var credErr *credentialsError
	isCred := errors.As(err, &credErr)

	// The default chain ends with the EC2 instance role; when even that fails,
	// no credential source was configured at all.
	if isCred && len(ops) > 0 && ops[len(ops)-1].ServiceID == "ec2imds" {
		e.Op = ""
		e.Code = CodeNoCredentials
		e.Message = redact("no AWS credentials were found (the last source of the default chain, the EC2 instance metadata service, said: " +
			ops[len(ops)-1].Err.Error() + ")")
		return &e
	}

	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		// The innermost operation is the one AWS refused: AssumeRole when the
		// role could not be assumed, GetAuthorizationToken otherwise.
		for i := len(ops) - 1; i >= 0; i-- {
			if ops[i].ServiceID != "ec2imds" {
				e.Op = ops[i].OperationName
				break
			}
		}
		e.Code = apiErr.ErrorCode()
		e.Message = redact(apiErr.ErrorMessage())
		return &e
	}

	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Code = CodeCanceled
		e.Message = redact(err.Error())
	case isCred:
		e.Op = ""
		e.Code = CodeCredentials
		e.Message = redact("retrieving AWS credentials: " + credErr.err.Error())
	default:
		e.Code = CodeRequestFailed
		e.Message = redact(err.Error())
	}
	return &e
}

// operationErrors lists the smithy operation errors in err's tree, outermost
// first, following both Unwrap() error and Unwrap() []error (the SDK joins
// errors in its retry loop).
func operationErrors(err error) []*smithy.OperationError {
	var out []*smithy.OperationError
	var walk func(error)
	walk = func(err error) {
		for err != nil {
			if op, ok := err.(*smithy.OperationError); ok {
				out = append(out, op)
			}
			switch u := err.(type) {
			case interface{ Unwrap() []error }:
				for _, inner := range u.Unwrap() {
					walk(inner)
				}
				return
			case interface{ Unwrap() error }:
				err = u.Unwrap()
			default:
				return
			}
		}
	}
	walk(err)
	return out
}

// credentialsError marks a failure of the credential provider, as opposed to
// a failure of the call it was meant to sign; the SDK has no type for it.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "retrieve AWS credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// configLoadError marks a failure of config.LoadDefaultConfig.
type configLoadError struct{ err error }

func (e *configLoadError) Error() string { return "load AWS configuration: " + e.err.Error() }
func (e *configLoadError) Unwrap() error { return e.err }

// redactor replaces each non-empty secret in s with "[redacted]".
func redactor(secrets ...string) func(string) string {
	return func(s string) string {
		for _, secret := range secrets {
			if secret != "" {
				s = strings.ReplaceAll(s, secret, "[redacted]")
			}
		}
		return s
	}
}

// ConfigFix says what kind of change a ConfigError calls for; the provider
// words it in terms of its own settings.
type ConfigFix int

const (
	// FixSet: a setting is missing.
	FixSet ConfigFix = iota
	// FixGiveTogether: settings that go together are given in part.
	FixGiveTogether
	// FixRemove: a setting does not apply here.
	FixRemove
	// FixRemoveOrCorrect: a setting contradicts the address, whose value
	// is the default.
	FixRemoveOrCorrect
	// FixHostOnly: the address is more than a host; Value is the host.
	FixHostOnly
)

// ConfigError is a Config that cannot work for its host, found without any
// I/O. Setting names the setting at fault as the Config documents it
// ("region", "registry_id", "access_key", "address" for the host).
type ConfigError struct {
	Setting string
	Fix     ConfigFix
	// Problem states what is wrong.
	Problem string
	// Value is the corrected value, where one follows from the input.
	Value string
}

func (e *ConfigError) Error() string { return "ecr: " + e.Problem }
