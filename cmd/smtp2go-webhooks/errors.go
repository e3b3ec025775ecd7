package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

// Exit codes; exitChanges is --detailed-exitcode's "the plan changes something".
const exitOK, exitAPI, exitUsage, exitNotFound, exitChanges, exitInterrupted = 0, 1, 2, 3, 2, 130

// Error kinds, as the JSON error document names them. A validation error is
// a value or an input refused; interrupted is Ctrl-C or a question declined.
const (
	kindUsage, kindValidation, kindNotFound = "usage", "validation", "not_found"
	kindAPI, kindNetwork, kindInterrupted   = "api", "network", "interrupted"
)

// exitCodes are the exit codes of the kinds that do not exit 1.
var exitCodes = map[string]int{kindUsage: exitUsage, kindValidation: exitUsage, kindNotFound: exitNotFound, kindInterrupted: exitInterrupted}

// cliError is an error of the CLI's own: what kind it is, and a hint for
// text output. A kind of "" takes the kind of err, which it wraps.
type cliError struct {
	kind, msg, hint string
	err             error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &cliError{kind: kindUsage, msg: fmt.Sprintf(format, args...)}
}

func invalidf(format string, args ...any) error {
	return &cliError{kind: kindValidation, msg: fmt.Sprintf(format, args...)}
}

// withHint adds a hint for text output to err, keeping its kind.
func withHint(err error, hint string) error {
	return &cliError{msg: err.Error(), hint: hint, err: err}
}

// inInput prefixes err with where in the input it comes from.
func inInput(where string, err error) error {
	if err == nil || where == "" {
		return err
	}
	return &cliError{msg: where + ": " + err.Error(), err: err}
}

// exitError makes the CLI exit with code, saying nothing more.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// kindOf classifies err. Only a webhook ID that the account does not have
// is not_found: a 404 from the API (a wrong --base-url, say) is an api error.
func kindOf(err error) string {
	var ce *cliError
	for e := err; errors.As(e, &ce); e = ce.err {
		if ce.kind != "" {
			return ce.kind
		}
	}
	var nf *smtp2go.NotFoundError
	var ae *smtp2go.APIError
	var ne net.Error
	var nwe *smtp2go.NetworkError
	switch {
	case errors.As(err, &nf):
		return kindNotFound
	case errors.Is(err, smtp2go.ErrInvalidRequest):
		return kindValidation
	case errors.As(err, &ae):
		return kindAPI
	case errors.Is(err, smtp2go.ErrOutcomeUnknown), errors.As(err, &ne), errors.As(err, &nwe), errors.Is(err, context.DeadlineExceeded):
		return kindNetwork
	}
	return kindAPI
}

// interrupted is the error of a command the user interrupted: that alone,
// unless err says that what it was doing may have been done, or which
// change of a plan failed.
func interrupted(err error) error {
	var ce *cliError
	if errors.As(err, &ce) && ce.kind == kindInterrupted {
		return err
	}
	msg := "interrupted"
	var failed *changeError
	if errors.Is(err, smtp2go.ErrOutcomeUnknown) || errors.As(err, &failed) {
		msg += ": " + err.Error()
	}
	return &cliError{kind: kindInterrupted, msg: msg, err: err}
}

// fail reports err on stderr, as text or as JSON, and returns its exit code.
func (a *app) fail(cmd *cobra.Command, err error) int {
	var xe *exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	kind := kindOf(err)
	code := cmp.Or(exitCodes[kind], exitAPI)
	// With --detailed-exitcode, every error exits 1, so that 2 means only
	// "changes", even one in the command line after the flag.
	if f := cmd.Flags().Lookup("detailed-exitcode"); f != nil && f.Value.String() == "true" {
		code = exitAPI
	}
	hint := ""
	var ce *cliError
	for e := err; errors.As(e, &ce) && hint == ""; e = ce.err {
		hint = ce.hint
	}
	if hint == "" && kind == kindUsage {
		hint = fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())
	}
	if a.json() {
		_ = writeJSON(a.env.stderr, errorDocument(kind, hint, err))
		return code
	}
	fmt.Fprintf(a.env.stderr, "%s: %v\n", cmd.CommandPath(), err)
	if hint != "" {
		fmt.Fprintln(a.env.stderr, hint)
	}
	return code
}

// errorOut is the body of an error document: Hint is what text output adds
// on the next line, Status the HTTP status of the answer that failed, Code
// and RequestID SMTP2GO's error_code and request_id; null when there is none.
type errorOut struct {
	Kind      string  `json:"kind"`
	Message   string  `json:"message"`
	Hint      *string `json:"hint"`
	Status    *int    `json:"status"`
	Code      *string `json:"code"`
	RequestID *string `json:"request_id"`
}

// statusError carries the HTTP status of an answer, such as send-test's
// endpoint refusing a delivery.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func errorDocument(kind, hint string, err error) any {
	out := errorOut{Kind: kind, Message: err.Error(), Hint: nonZero(hint)}
	var ae *smtp2go.APIError
	var nf *smtp2go.NotFoundError
	var se *statusError
	switch {
	case errors.As(err, &ae):
		out.Status, out.Code, out.RequestID = &ae.StatusCode, nonZero(ae.Code), nonZero(ae.RequestID)
	case errors.As(err, &nf):
		out.RequestID = nonZero(nf.RequestID)
	case errors.As(err, &se):
		out.Status = &se.status
	}
	return struct {
		Error errorOut `json:"error"`
	}{out}
}

// nonZero is &v, or nil (null in JSON) for the zero value.
func nonZero[T comparable](v T) *T {
	if v == *new(T) {
		return nil
	}
	return &v
}

// flagError adds to cobra's refusal of a flag that would take a secret a
// hint that says where the secret goes instead.
func flagError(cmd *cobra.Command, err error) error {
	const never = "Secrets are never flag values, which the process list shows: "
	var unknown *pflag.NotExistError
	if !errors.As(err, &unknown) || unknown.GetSpecifiedShortnames() != "" {
		return err
	}
	switch unknown.GetSpecifiedName() {
	case "api-key":
		return withHint(err, never+"set "+envAPIKey+" or pass --api-key-file FILE.")
	case "auth-value", "bearer", "basic-auth":
		return withHint(err, never+"see '"+cmd.CommandPath()+" --help' for the -env and -file flags.")
	}
	return err
}
