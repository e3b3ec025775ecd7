// Command smtp2go-webhooks manages SMTP2GO webhooks from the shell, receives
// their deliveries locally, runs a fake SMTP2GO, and demonstrates the whole
// cycle offline.
//
//	smtp2go-webhooks fake                      # a fake SMTP2GO on 127.0.0.1:8025
//	smtp2go-webhooks list --output json
//	smtp2go-webhooks ensure --url https://example.com/hook --events delivered,bounce
//	smtp2go-webhooks apply -f webhooks.json --prune --dry-run
//	smtp2go-webhooks listen --addr 127.0.0.1:8080 --bearer-env HOOK_TOKEN
//	smtp2go-webhooks demo                      # offline tour, no account needed
//
// The API key comes from SMTP2GO_API_KEY or --api-key-file, never from a flag
// value, which other users could read in the process list; SMTP2GO_REGION
// and SMTP2GO_BASE_URL (or --region and --base-url, either of which replaces
// both variables) say where the API is; --timeout (default 1m) bounds the
// API calls of a command, retries included.
// Every command takes --output json: its result is then one JSON document on
// stdout, and an error is {"error": {...}} on stderr. ensure and apply show
// a plan before they act (--dry-run stops there). Exit codes: 0 success, 1
// API or network error, 2 usage or validation error, 3 not found, 130
// interrupted (but listen and fake, which run until stopped, exit 0 when
// stopped); with --detailed-exitcode, ensure and apply exit 0 when nothing
// changed, 2 when something did (or would), 1 on any error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/relaykit/smtp2go"
)

// Exit codes.
const (
	exitOK          = 0
	exitAPI         = 1
	exitUsage       = 2
	exitNotFound    = 3
	exitChanges     = 2   // with --detailed-exitcode: the plan changes something
	exitInterrupted = 130 // 128 + SIGINT, as shells report a Ctrl-C
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, the default handling comes back: a second
	// Ctrl-C ends a listen that is still finishing its deliveries.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world, so that tests can
// hand it their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// apiOptions are added to every API client's options, after the
	// CLI's own: tests shorten the waits between retries.
	apiOptions []smtp2go.Option
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the arguments after the name
	example string
	run     func(ctx context.Context, e *env, args []string) error
	about   string // more to know, printed in the command's help after the summary
}

// commands returns every command, in the order help lists them. It is a
// function, not a variable, because the commands' help refers back to it.
func commands() []command {
	return []command{
		{"list", "list the account's webhooks", "[flags]", "smtp2go-webhooks list --output json", cmdList, ""},
		{"get", "show one webhook", "ID [flags]", "smtp2go-webhooks get 1001", cmdGet, ""},
		{"add", "create a webhook", "--url URL --events EVENTS [flags]", "smtp2go-webhooks add --url https://example.com/hook --events delivered,bounce --format json", cmdAdd, ""},
		{"edit", "change the given fields of a webhook", "ID [flags]", "smtp2go-webhooks edit 1001 --events delivered,bounce,spam", cmdEdit, ""},
		{"remove", "delete a webhook", "ID [flags]", "smtp2go-webhooks remove 1001", cmdRemove, ""},
		{"ensure", "create or update the webhook with a URL so it matches, showing the plan first (idempotent)", "--url URL [--dry-run] [--detailed-exitcode] [flags]", "smtp2go-webhooks ensure --url https://example.com/hook --events bounce,spam --dry-run", cmdEnsure, aboutEnsure},
		{"apply", "make the account's webhooks match a file, showing the plan first", "-f FILE [--prune] [--dry-run] [--detailed-exitcode]", "smtp2go-webhooks apply -f webhooks.json --prune --dry-run", cmdApply, aboutApply},
		{"listen", "receive deliveries and print each event", "[--addr HOST:PORT] [--path /webhook] [flags]", "HOOK_TOKEN=s3cret smtp2go-webhooks listen --addr 127.0.0.1:8080 --bearer-env HOOK_TOKEN", cmdListen, aboutListen},
		{"send-test", "post a realistic delivery to a URL, like the App's Test button", "--url URL --event TYPE [flags]", "smtp2go-webhooks send-test --url http://127.0.0.1:8080/webhook --event bounce --field bounce=soft", cmdSendTest, ""},
		{"fake", "run a fake SMTP2GO API on this machine, for trying the CLI and testing", "[--addr HOST:PORT] [--api-key KEY]", "smtp2go-webhooks fake --addr 127.0.0.1:8025", cmdFake, aboutFake},
		{"demo", "run a full cycle against an in-process fake SMTP2GO (offline)", "", "smtp2go-webhooks demo", cmdDemo, ""},
		{"version", "print the version", "", "smtp2go-webhooks version", cmdVersion, ""},
	}
}

// The help of listen and fake on how they end, and of ensure and apply on
// what they do with auth.
const (
	aboutListen = `Runs until Ctrl-C (or SIGTERM), then finishes the deliveries in progress and
exits 0: a server that is stopped has done its job (other commands exit 130
when interrupted). A second Ctrl-C ends it at once.`
	aboutFake = `Runs until Ctrl-C (or SIGTERM), then exits 0: a server that is stopped has
done its job (other commands exit 130 when interrupted). Its webhooks are kept
in memory, and go with it.`
	aboutEnsure = `ensure acts as soon as it has shown the plan, without asking: scripts and CI
run it. --dry-run shows the plan and stops there.

The flags (and --from-json) are the whole webhook wanted, not changes to it:
a setting left out is reset, so leaving out --format sets form, and leaving
out --events, --sms-events, --headers or --usernames empties them (edit
changes only the fields given). Auth is the exception:

Leaving out --auth and the auth value keeps the webhook's auth, but only when
SMTP2GO shows its value: ensure writes back the value it saw when it made the
plan (a change made to it since is undone). When SMTP2GO does not show the
value, ensure refuses and asks for the auth (--auth none removes it).

An auth value given (--auth-value-env or --auth-value-file) is sent even
when SMTP2GO does not show the webhook's current value, since the two cannot
be compared: the plan then shows "auth_header_value: (not shown) -> [redacted]",
on every run.`
	aboutApply = `apply acts as soon as it has shown the plan, without asking: scripts and CI
run it. --dry-run shows the plan and stops there.

Each entry is the whole webhook wanted, not changes to it: a key left out is
reset, so an entry without output_format sets form, and one without events,
sms_events, headers or usernames empties them. With --prune, the webhooks
whose URL is in no entry are removed. Auth is the exception:

An entry without auth_header_type and auth_header_value keeps the webhook's
auth, but only when SMTP2GO shows its value: apply writes back the value it
saw when it made the plan (a change made to it since is undone). When SMTP2GO
does not show the value, apply refuses and asks for the auth
("auth_header_type": "none" removes it).

An entry's auth_header_value is sent even when SMTP2GO does not show the
webhook's current value, since the two cannot be compared: the plan then
shows "auth_header_value: (not shown) -> [redacted]", on every run.`
)

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	jsonErrors := wantsJSON(args)
	switch {
	case len(args) == 0:
		usage(e.stderr)
		return exitUsage
	case args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || (args[0] == "help" && len(args) == 1):
		usage(e.stdout)
		return exitOK
	case args[0] == "-v" || args[0] == "--version" || args[0] == "-version":
		args = append([]string{"version"}, args[1:]...)
	case args[0] == "help":
		args = []string{args[1], "--help"}
	}
	c, ok := lookupCommand(args[0])
	if !ok {
		return fail(e, "", jsonErrors, unknownCommand(args[0]))
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil:
		// Whatever failed, it failed because the user interrupted it.
		return fail(e, c.name, jsonErrors, &exitError{code: exitInterrupted, err: interrupted(err)})
	}
	return fail(e, c.name, jsonErrors, err)
}

// interrupted is the error of a command the user interrupted: that alone,
// unless err, why it stopped, has more to say: that what it was doing may
// have been carried out (ErrOutcomeUnknown, with what to do about it), or
// which change of a plan failed (the changes done were printed).
func interrupted(err error) error {
	var failed *changeError
	if errors.Is(err, smtp2go.ErrOutcomeUnknown) || errors.As(err, &failed) {
		return fmt.Errorf("interrupted: %w", err)
	}
	return errors.New("interrupted")
}

// wantsJSON reports whether args ask for --output json, so that even an
// error in the command line itself is reported as JSON.
func wantsJSON(args []string) bool {
	value, _ := flagValue(args, "output")
	v, err := outputEnum.parse("", value)
	return err == nil && v == "json"
}

func unknownCommand(name string) error {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if near := suggest(name, names); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return &usageError{msg: msg + "\nRun 'smtp2go-webhooks --help' for the commands."}
}

// fail reports err on stderr, as text or as JSON, and returns its exit code.
func fail(e *env, cmdName string, asJSON bool, err error) int {
	code := exitCode(err)
	var xe *exitError
	if errors.As(err, &xe) && xe.err == nil {
		return code // nothing to say: the output said it
	}
	if asJSON {
		_ = writeJSON(e.stderr, errorDocument(err))
		return code
	}
	prefix := "smtp2go-webhooks: "
	if cmdName != "" {
		prefix = "smtp2go-webhooks " + cmdName + ": "
	}
	var ue *usageError
	if errors.As(err, &ue) && ue.help != "" {
		fmt.Fprintf(e.stderr, "%s%s\n\n%s", prefix, ue.msg, ue.help)
		return code
	}
	fmt.Fprintf(e.stderr, "%s%v\n", prefix, err)
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "smtp2go-webhooks manages SMTP2GO webhooks and receives their deliveries.")
	fmt.Fprintln(w, "\nUsage: smtp2go-webhooks COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nThe API key is read from %s or --api-key-file; %s and %s\n", envAPIKey, envRegion, envBaseURL)
	fmt.Fprintln(w, "(or --region and --base-url, either of which replaces both variables) say where the API is.")
	fmt.Fprintln(w, "Every command takes --output json; those that call the API, --timeout (default 1m, 0 for none).")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 API or network error, 2 usage or validation error, 3 not found, 130 interrupted")
	fmt.Fprintln(w, "(listen and fake, which run until stopped, exit 0 when stopped).")
	fmt.Fprintln(w, "Run 'smtp2go-webhooks COMMAND --help' for a command's flags; --version prints the version.")
}

// usageError is a mistake in the command line or in the input. With help
// set, the command's usage follows the message.
type usageError struct {
	msg  string
	help string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError makes the CLI exit with code. err, if not nil, is reported as
// usual; a nil err reports nothing (--detailed-exitcode's 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode maps an error to the documented exit codes. Only a webhook ID
// that the account does not have is "not found": a 404 from the API (a wrong
// --base-url, say) is an API error like any other.
func exitCode(err error) int {
	var xe *exitError
	var ue *usageError
	var nf *smtp2go.NotFoundError
	switch {
	case errors.As(err, &xe):
		return xe.code
	case errors.As(err, &ue), errors.Is(err, smtp2go.ErrInvalidRequest):
		return exitUsage
	case errors.As(err, &nf):
		return exitNotFound
	}
	return exitAPI
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("version")
	output := outputFlag(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if output.value == "json" {
		return writeJSON(e.stdout, struct {
			Version string `json:"version"`
			Go      string `json:"go"`
		}{smtp2go.Version, runtime.Version()})
	}
	_, err := fmt.Fprintf(e.stdout, "smtp2go-webhooks %s (%s)\n", smtp2go.Version, runtime.Version())
	return err
}
