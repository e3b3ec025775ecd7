// Command smtp2go-webhooks manages SMTP2GO webhooks from the shell, receives
// their deliveries locally, runs a fake SMTP2GO that can deliver events, and
// demonstrates the whole cycle offline. Run it with --help for its commands,
// flags and exit codes; the README walks through them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A second Ctrl-C ends a listen still finishing its deliveries.
	go func() { <-ctx.Done(); stop() }()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: stdinIsTerminal}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world, so that tests can
// hand it their own; apiOptions follow the CLI's own client options.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func() bool // whether a person can answer a question on stdin
	apiOptions     []smtp2go.Option
}

// stdinIsTerminal reports whether stdin is a character device other than
// the null device.
func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// app holds the flags every command takes and what the commands share.
type app struct {
	env     *env
	output  *enumFlag
	global  apiSettings
	version bool
	ran     bool // cobra accepted the command line
}

func (a *app) json() bool { return a.output.value == "json" }

// run executes one command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	a := &app{env: e}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		err = interrupted(err)
	case !a.ran:
		err = &cliError{kind: kindUsage, msg: err.Error(), err: err}
	}
	return a.fail(cmd, err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "smtp2go-webhooks",
		Short: "Manage SMTP2GO webhooks and receive their deliveries",
		Long: `smtp2go-webhooks manages SMTP2GO webhooks and receives their deliveries.

The API key is read from SMTP2GO_API_KEY or --api-key-file; SMTP2GO_REGION
and SMTP2GO_BASE_URL (or --region and --base-url, either of which replaces
both variables) say where the API is. Every command takes --output json.

Exit codes: 0 success, 1 API or network error, 2 usage or validation error,
3 not found, 130 interrupted or declined (listen and fake, which run until
stopped, exit 0 when stopped).`,
		// cobra sets it only for its own suggestions, not for SuggestionsFor.
		SuggestionsMinimumDistance: 2,
		Args:                       unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.version {
				return a.printVersion()
			}
			return cmd.Help()
		},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.Flags().BoolVarP(&a.version, "version", "v", false, "print the version")
	root.SetFlagErrorFunc(flagError)
	// --auto-approve is Terraform's name for --yes.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "auto-approve" {
			name = "yes"
		}
		return pflag.NormalizedName(name)
	})
	pf := root.PersistentFlags()
	a.output = &enumFlag{en: outputEnum, value: "text"}
	pf.VarP(a.output, "output", "o", "output `FORMAT`: text or json (one JSON document; errors as JSON on stderr)")
	a.global.register(pf)
	_ = root.RegisterFlagCompletionFunc("output", outputEnum.complete)
	_ = root.RegisterFlagCompletionFunc("region", regionEnum.complete)
	commands := []*cobra.Command{root, a.listCommand(), a.getCommand(), a.addCommand(), a.editCommand(), a.removeCommand(),
		a.ensureCommand(), a.applyCommand(), a.listenCommand(), a.sendTestCommand(), a.triggerCommand(),
		a.fakeCommand(), a.demoCommand(), {
			Use: "version", Short: "Print the version", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return a.printVersion() },
		}}
	root.AddCommand(commands[1:]...) // in this order, the order of suggestions
	for _, cmd := range commands {
		runE := cmd.RunE // it runs once cobra has accepted the command line
		cmd.RunE = func(cmd *cobra.Command, args []string) error { a.ran = true; return runE(cmd, args) }
	}
	return root
}

// unknownCommand is the root's argument check: any argument is an unknown
// command.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if near := cmd.SuggestionsFor(args[0]); len(near) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", near[0])
	}
	return usagef("%s", msg)
}

func (a *app) printVersion() error {
	return a.show(struct {
		Version string `json:"version"`
		Go      string `json:"go"`
	}{smtp2go.Version, runtime.Version()}, "smtp2go-webhooks %s (%s)\n", smtp2go.Version, runtime.Version())
}
