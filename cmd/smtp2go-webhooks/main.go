// Command smtp2go-webhooks manages SMTP2GO webhooks from the shell, receives
// their deliveries locally, and demonstrates the whole cycle offline.
//
//	smtp2go-webhooks demo                      # offline tour, no account needed
//	smtp2go-webhooks list --output json
//	smtp2go-webhooks ensure --url https://example.com/hook --events delivered,bounce
//	smtp2go-webhooks apply -f webhooks.json --prune --dry-run
//	smtp2go-webhooks listen --addr 127.0.0.1:8080 --bearer-env HOOK_TOKEN
//
// The API key comes from SMTP2GO_API_KEY or --api-key-file, never from a flag
// value, which other users could read in the process list. Exit codes: 0
// success, 1 API or network error, 2 usage or validation error, 3 not found.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/relaykit/smtp2go"
)

// Exit codes.
const (
	exitOK       = 0
	exitAPI      = 1
	exitUsage    = 2
	exitNotFound = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, the default handling comes back: a second
	// Ctrl-C ends a listen that is still finishing its deliveries.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
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
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the arguments after the name
	example string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"list", "list the account's webhooks", "[flags]", "smtp2go-webhooks list --output json", cmdList},
		{"get", "show one webhook", "ID [flags]", "smtp2go-webhooks get 4320", cmdGet},
		{"add", "create a webhook", "--url URL [flags]", "smtp2go-webhooks add --url https://example.com/hook --events delivered,bounce --format json", cmdAdd},
		{"edit", "change the given fields of a webhook", "ID [flags]", "smtp2go-webhooks edit 4320 --events delivered,bounce,spam", cmdEdit},
		{"remove", "delete a webhook", "ID [flags]", "smtp2go-webhooks remove 4320", cmdRemove},
		{"ensure", "create or update the webhook with a URL so it matches (idempotent)", "--url URL [flags]", "smtp2go-webhooks ensure --url https://example.com/hook --events bounce,spam", cmdEnsure},
		{"apply", "make the account's webhooks match a file", "-f FILE [--prune] [--dry-run]", "smtp2go-webhooks apply -f webhooks.json --prune --dry-run", cmdApply},
		{"listen", "receive deliveries and print each event as a JSON line", "[--addr HOST:PORT] [--path /webhook] [flags]", "HOOK_TOKEN=s3cret smtp2go-webhooks listen --addr 127.0.0.1:8080 --bearer-env HOOK_TOKEN", cmdListen},
		{"send-test", "post a realistic delivery to a URL, like the App's Test button", "--url URL --event TYPE [flags]", "smtp2go-webhooks send-test --url http://127.0.0.1:8080/webhook --event bounce --format json", cmdSendTest},
		{"demo", "run a full cycle against an in-process fake SMTP2GO (offline)", "", "smtp2go-webhooks demo", cmdDemo},
		{"version", "print the version", "", "smtp2go-webhooks version", cmdVersion},
	}
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "--help"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := e.stderr
		code := exitUsage
		if len(args) > 0 {
			w, code = e.stdout, exitOK
		}
		usage(w)
		return code
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return exitOK
		}
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		var ue *usageError
		if errors.As(err, &ue) && ue.help != "" {
			fmt.Fprintf(e.stderr, "smtp2go-webhooks %s: %s\n\n%s", c.name, ue.msg, ue.help)
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "smtp2go-webhooks %s: %v\n", c.name, err)
		return exitCode(err)
	}
	fmt.Fprintf(e.stderr, "smtp2go-webhooks: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "smtp2go-webhooks manages SMTP2GO webhooks and receives their deliveries.")
	fmt.Fprintln(w, "\nUsage: smtp2go-webhooks COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nThe API key is read from SMTP2GO_API_KEY or --api-key-file.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 API or network error, 2 usage or validation error, 3 not found.")
	fmt.Fprintln(w, "Run 'smtp2go-webhooks COMMAND --help' for a command's flags.")
}

// usageError is a mistake in the command line. With help set, the command's
// usage follows the message.
type usageError struct {
	msg  string
	help string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the documented exit codes. Only a webhook ID
// that the account does not have is "not found": a 404 from the API (a wrong
// --base-url, say) is an API error like any other.
func exitCode(err error) int {
	var ue *usageError
	var nf *smtp2go.NotFoundError
	switch {
	case errors.As(err, &ue), errors.Is(err, smtp2go.ErrInvalidRequest):
		return exitUsage
	case errors.As(err, &nf):
		return exitNotFound
	}
	return exitAPI
}

// newFlagSet returns a silent flag set that reports errors instead of
// exiting; parse prints the command's help where it is wanted.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// helpText renders a command's usage, example and flags.
func helpText(name string, fs *flag.FlagSet) string {
	var c command
	for _, cc := range commands() {
		if cc.name == name {
			c = cc
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s.\n\nExample:\n  %s\n", strings.TrimSpace("smtp2go-webhooks "+c.name+" "+c.usage), capitalize(c.summary), c.example)
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	if len(flags) > 0 {
		b.WriteString("\nFlags:\n")
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		for _, f := range flags {
			name, text := flag.UnquoteUsage(f)
			if name == "value" || name == "string" || name == "" {
				name = strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			}
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
				name = ""
			}
			dashes := "--"
			if len(f.Name) == 1 {
				dashes = "-"
			}
			fmt.Fprintf(&b, "  %-26s %s", strings.TrimSpace(dashes+f.Name+" "+name), text)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(&b, " (default %s)", f.DefValue)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses args with fs, letting flags come before or after the
// positional arguments, and returns the positional ones. --help prints the
// command's help on stdout and returns flag.ErrHelp.
func parse(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(e.stdout, helpText(fs.Name(), fs))
				return nil, flag.ErrHelp
			}
			return nil, &usageError{msg: err.Error(), help: helpText(fs.Name(), fs)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil // after --, nothing is a flag
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs parses args, which must hold flags only.
func parseNoArgs(e *env, fs *flag.FlagSet, args []string) error {
	rest, err := parse(e, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0]), help: helpText(fs.Name(), fs)}
	}
	return nil
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("version")
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "smtp2go-webhooks %s (SDK smtp2go-go/%s)\n", smtp2go.Version, smtp2go.Version)
	return nil
}
