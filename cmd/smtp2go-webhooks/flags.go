package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// newFlagSet returns a silent flag set that reports errors instead of
// exiting; parse prints the command's help where it is wanted.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// dashed is a flag's name as the user types it: "--output", or "-f".
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
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
			return nil, &usageError{msg: flagMessage(fs, err), help: helpText(fs.Name(), fs)}
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

// flagMessage rewrites the flag package's errors in the CLI's words: flags
// as --name, and the nearest flag suggested for an unknown one.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		out := "unknown flag " + dashed(name)
		if hint := secretFlagHint(fs, name); hint != "" {
			return out + ": " + hint
		}
		near := suggest(name, known)
		if len(name) == 1 {
			near = onlyStartingWith(name, known) // -o for --output
		}
		if near != "" {
			out += fmt.Sprintf(" (did you mean %s?)", dashed(near))
		}
		return out
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return dashed(strings.TrimLeft(name, "-")) + " needs a value"
	}
	// invalid value "x" for flag -name: problem
	// invalid boolean value "x" for -name: problem
	if _, rest, ok := strings.Cut(msg, " for "); ok && strings.HasPrefix(msg, "invalid ") {
		rest = strings.TrimPrefix(rest, "flag ")
		name, problem, _ := strings.Cut(rest, ": ")
		return dashed(strings.TrimLeft(name, "-")) + ": " + problem
	}
	return msg
}

// secretFlagHint is the hint for an unknown flag name that would take a
// secret as its value, such as --api-key or --auth-value, when fs has the
// flags that read it from a file or a variable instead (--api-key-file,
// --auth-value-env): the nearest name would be the wrong advice.
func secretFlagHint(fs *flag.FlagSet, name string) string {
	var instead []string
	for _, suffix := range []string{"-env", "-file"} {
		if f := fs.Lookup(name + suffix); f != nil {
			arg, _ := flag.UnquoteUsage(f)
			instead = append(instead, dashed(f.Name)+" "+arg)
		}
	}
	if len(instead) == 0 {
		return ""
	}
	hint := "pass " + strings.Join(instead, " or ")
	if name == "api-key" {
		hint = "set " + envAPIKey + " or " + hint
	}
	return "secrets are never taken as flag values, which other users can read in the process list; " + hint
}

// onlyStartingWith is the one name that starts with prefix, or "".
func onlyStartingWith(prefix string, names []string) string {
	found := ""
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			if found != "" {
				return ""
			}
			found = n
		}
	}
	return found
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

// parseIDArg parses args, which must hold exactly one webhook ID.
func parseIDArg(e *env, fs *flag.FlagSet, args []string) (int64, error) {
	rest, err := parse(e, fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) != 1 {
		return 0, &usageError{msg: "want exactly one webhook ID", help: helpText(fs.Name(), fs)}
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, &usageError{msg: fmt.Sprintf("webhook ID must be a positive integer, got %q", rest[0]), help: helpText(fs.Name(), fs)}
	}
	return id, nil
}

// helpText renders a command's usage, example and flags. Flags that share a
// value (-f and --file) are one line.
func helpText(name string, fs *flag.FlagSet) string {
	c, _ := lookupCommand(name)
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s.\n", strings.TrimSpace("smtp2go-webhooks "+c.name+" "+c.usage), capitalize(c.summary))
	if c.about != "" {
		fmt.Fprintf(&b, "\n%s\n", c.about)
	}
	fmt.Fprintf(&b, "\nExample:\n  %s\n", c.example)
	byValue := map[flag.Value][]string{}
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if byValue[f.Value] == nil {
			flags = append(flags, f)
		}
		byValue[f.Value] = append(byValue[f.Value], dashed(f.Name))
	})
	if len(flags) == 0 {
		return b.String()
	}
	b.WriteString("\nFlags:\n")
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		argName, text := flag.UnquoteUsage(f)
		if argName == "value" || argName == "string" || argName == "" {
			argName = strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			argName = ""
		}
		spelled := byValue[f.Value]
		sort.Slice(spelled, func(i, j int) bool { return len(spelled[i]) < len(spelled[j]) })
		fmt.Fprintf(&b, "  %-28s %s", strings.TrimSpace(strings.Join(spelled, ", ")+" "+argName), text)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// enumFlag is a flag whose value is one of an enum's, stored canonical.
type enumFlag struct {
	en    enum
	value string
}

func (f *enumFlag) String() string { return f.value }

func (f *enumFlag) Set(s string) error {
	v, err := f.en.parse("", s)
	if err != nil {
		return err
	}
	f.value = v
	return nil
}

// newEnumFlag defines a flag that takes one value of en.
func newEnumFlag(fs *flag.FlagSet, name string, en enum, def, usage string) *enumFlag {
	f := &enumFlag{en: en, value: def}
	fs.Var(f, name, usage)
	return f
}

// outputFlag defines --output, which every command has.
func outputFlag(fs *flag.FlagSet) *enumFlag {
	return newEnumFlag(fs, "output", outputEnum, "text", "output `FORMAT`: text or json (one JSON document; errors as JSON on stderr)")
}

// pairsFlag is a repeatable flag of name=value pairs, in the order given.
type pairsFlag struct {
	names, values []string
}

func (p *pairsFlag) String() string { return "" }

func (p *pairsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	p.names = append(p.names, strings.TrimSpace(name))
	p.values = append(p.values, value)
	return nil
}

// flagValue finds flag name in args before the command line is parsed (or
// when it could not be), and returns its value: what follows "=", else the
// next argument.
func flagValue(args []string, name string) (value string, present bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		n, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || n != name {
			continue
		}
		if !hasValue && i+1 < len(args) {
			v = args[i+1]
		}
		return v, true
	}
	return "", false
}

// boolFlag reports whether the boolean flag name is set in args, before the
// command line is parsed (or when it could not be), as the flag package
// reads it: "--name" and "--name=true" set it, "--name=false" does not, and
// the last one given wins.
func boolFlag(args []string, name string) bool {
	set := false
	for _, a := range args {
		if a == "--" {
			break
		}
		n, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || n != name {
			continue
		}
		set = true
		if hasValue {
			set, _ = strconv.ParseBool(v) // not a boolean: the flag package says so
		}
	}
	return set
}
