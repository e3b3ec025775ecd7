package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/relaykit/smtp2go"
)

// Environment variables the CLI reads, as the SDK's NewClientFromEnv does.
const (
	envAPIKey  = smtp2go.APIKeyEnv  // SMTP2GO_API_KEY
	envRegion  = smtp2go.RegionEnv  // SMTP2GO_REGION
	envBaseURL = smtp2go.BaseURLEnv // SMTP2GO_BASE_URL
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
		if near := suggest(name, known); near != "" {
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
	fmt.Fprintf(&b, "Usage: %s\n\n%s.\n\nExample:\n  %s\n", strings.TrimSpace("smtp2go-webhooks "+c.name+" "+c.usage), capitalize(c.summary), c.example)
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

// apiFlags are the flags of every command that calls SMTP2GO's API.
type apiFlags struct {
	keyFile    string
	region     string
	baseURL    string
	subaccount string
	output     *enumFlag
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.keyFile, "api-key-file", "", "read the API key from `FILE` instead of $"+envAPIKey)
	fs.StringVar(&a.region, "region", "", "API `REGION`: global, us, eu or au (default $"+envRegion+", else global)")
	fs.StringVar(&a.baseURL, "base-url", "", "API base `URL`, with or without /v3/, such as the fake's (default $"+envBaseURL+"; wins over the region)")
	fs.StringVar(&a.subaccount, "subaccount", "", "act for this subaccount `ID`")
	a.output = outputFlag(fs)
}

func (a *apiFlags) json() bool { return a.output.value == "json" }

// setting is a value the user set, and where: a flag or a variable.
type setting struct {
	where, value string
}

// pick returns the flag's value when it was set, else the variable's.
func pick(e *env, flagName, flagValue, variable string) setting {
	if flagValue != "" {
		return setting{dashed(flagName), flagValue}
	}
	return setting{variable, e.getenv(variable)}
}

// client returns an SDK client configured from the flags and environment.
// Its errors name the flag or variable at fault.
func (a *apiFlags) client(e *env) (*smtp2go.Client, error) {
	key := setting{envAPIKey, e.getenv(envAPIKey)}
	if a.keyFile != "" {
		b, err := os.ReadFile(a.keyFile)
		if err != nil {
			return nil, usagef("--api-key-file: %v", err)
		}
		key = setting{"--api-key-file", strings.TrimSpace(string(b))}
	}
	if key.value == "" {
		return nil, usagef("no API key: set %s or pass --api-key-file FILE", envAPIKey)
	}
	opts := []smtp2go.Option{smtp2go.WithUserAgent("smtp2go-webhooks/" + smtp2go.Version)}
	region := pick(e, "region", a.region, envRegion)
	if region.value != "" {
		r, err := regionEnum.parse(region.where, region.value)
		if err != nil {
			return nil, err
		}
		opts = append(opts, smtp2go.WithRegion(smtp2go.Region(r)))
	}
	base := pick(e, "base-url", a.baseURL, envBaseURL)
	if base.value != "" {
		opts = append(opts, smtp2go.WithBaseURL(strings.TrimSpace(base.value)))
	}
	c, err := smtp2go.NewClient(key.value, append(opts, e.apiOptions...)...)
	var ve *smtp2go.ValidationError
	if errors.As(err, &ve) {
		where := key.where
		if ve.Field == "base URL" {
			where = base.where
		}
		return nil, usagef("%s: %s", where, ve.Problem)
	}
	return c, err
}

// webhookFlags are the flags that describe a webhook, for add, edit and
// ensure. They mirror the API's fields.
type webhookFlags struct {
	url           string
	events        string
	smsEvents     string
	headers       string
	usernames     string
	format        *enumFlag
	auth          *enumFlag
	authValueFile string
	authValueEnv  string
	fromJSON      string
	fs            *flag.FlagSet
}

func (w *webhookFlags) register(fs *flag.FlagSet) {
	w.fs = fs
	fs.StringVar(&w.url, "url", "", "the `URL` SMTP2GO posts deliveries to")
	fs.StringVar(&w.events, "events", "", "comma-separated email `EVENTS`: "+strings.Join(emailEventEnum.values, ",")+", or all")
	fs.StringVar(&w.smsEvents, "sms-events", "", "comma-separated SMS `EVENTS`: "+strings.Join(smsEventEnum.values, ",")+" (or sms_delivered…), or all")
	fs.StringVar(&w.headers, "headers", "", "comma-separated email header `NAMES` to copy into each delivery")
	fs.StringVar(&w.usernames, "usernames", "", "comma-separated SMTP users or API keys whose mail triggers it (empty: all)")
	w.format = newEnumFlag(fs, "format", formatEnum, "", "delivery `FORMAT`: form or json")
	w.auth = newEnumFlag(fs, "auth", authEnum, "", "Authorization header SMTP2GO sends: bearer, basic or none (left out: edit and ensure keep the webhook's)")
	fs.StringVar(&w.authValueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&w.authValueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&w.fromJSON, "from-json", "", "read the API's own JSON body from `FILE` (- for stdin); flags given override it")
}

func (w *webhookFlags) given(name string) bool {
	found := false
	w.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// flagOfField is the flag that sets each of the API's fields.
var flagOfField = map[string]string{
	"url": "--url", "events": "--events", "sms_events": "--sms-events", "headers": "--headers", "usernames": "--usernames",
	"output_format": "--format", "auth_header_type": "--auth", "auth_header_value": "--auth-value-env or --auth-value-file",
}

// explain names, in the SDK's refusal of a request, the flag that set the
// field at fault, when a flag did (rather than --from-json).
func (w *webhookFlags) explain(err error) error {
	var ve *smtp2go.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field, _, _ := strings.Cut(ve.Field, "[")
	name := flagOfField[field]
	given := false
	for _, f := range strings.Split(name, " or ") {
		given = given || (f != "" && w.given(strings.TrimPrefix(f, "--")))
	}
	if field == "auth_header_value" && !given && w.given("auth") {
		return usagef("--auth %s needs --auth-value-env or --auth-value-file", w.auth.value)
	}
	if !given {
		return err
	}
	return usagef("%s: %s", name, ve.Problem)
}

// wanted returns the webhook that --from-json and the flags describe.
func (w *webhookFlags) wanted(e *env, subaccount string) (wanted, error) {
	fields, jsonSubaccount, err := w.fields(e)
	if err != nil {
		return wanted{}, err
	}
	if subaccount == "" {
		subaccount = jsonSubaccount
	}
	if fields.URL == nil || *fields.URL == "" {
		return wanted{}, usagef("--url is required (or a url in --from-json)")
	}
	return wantedFrom(fields, subaccount, ""), nil
}

// addRequestFor is the webhook/add request that creates w.
func addRequestFor(w smtp2go.Webhook, subaccount string) *smtp2go.AddWebhookRequest {
	return &smtp2go.AddWebhookRequest{
		URL: w.URL, Events: w.Events, SMSEvents: w.SMSEvents, Headers: w.Headers, Usernames: w.Usernames,
		OutputFormat: w.OutputFormat, AuthHeaderType: w.AuthHeaderType,
		AuthHeaderValue: basicValue(w.AuthHeaderType, w.AuthHeaderValue), SubaccountID: subaccount,
	}
}

// editRequest builds the webhook/edit request: only the fields in
// --from-json and the flags given are set.
func (w *webhookFlags) editRequest(e *env, id int64, subaccount string) (*smtp2go.EditWebhookRequest, error) {
	req, jsonSubaccount, err := w.fields(e)
	if err != nil {
		return nil, err
	}
	req.ID, req.SubaccountID = id, subaccount
	if subaccount == "" {
		req.SubaccountID = jsonSubaccount
	}
	if req.AuthHeaderValue != nil {
		typ := smtp2go.AuthHeaderType("")
		if req.AuthHeaderType != nil {
			typ = *req.AuthHeaderType
		}
		req.AuthHeaderValue = smtp2go.Ptr(basicValue(typ, *req.AuthHeaderValue))
	}
	return req, nil
}

// fields returns, as an edit, the webhook fields that --from-json holds and
// the flags set, the flags winning; and the file's subaccount_id.
func (w *webhookFlags) fields(e *env) (*smtp2go.EditWebhookRequest, string, error) {
	req := &smtp2go.EditWebhookRequest{}
	subaccount := ""
	if w.fromJSON != "" {
		data, err := readInput(e, "--from-json", w.fromJSON)
		if err != nil {
			return nil, "", err
		}
		body, err := parseBody("--from-json", data)
		if err != nil {
			return nil, "", err
		}
		req, subaccount = body.fields, body.subaccountID
	}
	if err := w.applyFlags(e, req); err != nil {
		return nil, "", err
	}
	return req, subaccount, nil
}

// applyFlags sets on req the fields the flags give.
func (w *webhookFlags) applyFlags(e *env, req *smtp2go.EditWebhookRequest) error {
	if w.given("url") {
		req.URL = &w.url
	}
	if w.given("events") {
		events, err := emailEventEnum.parseList("--events", splitList(w.events))
		if err != nil {
			return err
		}
		req.Events = typed[smtp2go.EventType](events)
	}
	if w.given("sms-events") {
		events, err := smsEventEnum.parseList("--sms-events", splitList(w.smsEvents))
		if err != nil {
			return err
		}
		req.SMSEvents = typed[smtp2go.SMSEventType](events)
	}
	if w.given("headers") {
		req.Headers = splitList(w.headers)
	}
	if w.given("usernames") {
		req.Usernames = splitList(w.usernames)
	}
	if w.given("format") {
		req.OutputFormat = smtp2go.Ptr(smtp2go.OutputFormat(w.format.value))
	}
	if w.given("auth") {
		req.AuthHeaderType = smtp2go.Ptr(authType(w.auth.value))
	}
	if w.authValueFile != "" && w.authValueEnv != "" {
		return usagef("give --auth-value-file or --auth-value-env, not both")
	}
	value, ok, err := secretValue(e, w.authValueFile, w.authValueEnv)
	if err != nil {
		return err
	}
	if ok {
		req.AuthHeaderValue = &value
	}
	return nil
}

// authType is the API's auth_header_type for a value of authEnum.
func authType(v string) smtp2go.AuthHeaderType {
	if v == "none" {
		return smtp2go.AuthNone
	}
	return smtp2go.AuthHeaderType(v)
}

func typed[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}

// secretValue reads a secret from a file or an environment variable: never
// from a flag's value, which the process list shows.
func secretValue(e *env, file, envName string) (value string, ok bool, err error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, usagef("reading the secret file: %v", err)
		}
		return string(bytes.TrimRight(b, "\r\n")), true, nil
	case envName != "":
		v := e.getenv(envName)
		if v == "" {
			return "", false, usagef("environment variable %s is empty or not set", envName)
		}
		return v, true, nil
	}
	return "", false, nil
}

// basicValue turns "user:pass" into the base64 form the API wants for basic
// auth. A base64 value never contains ':', so an encoded one is kept as is.
func basicValue(typ smtp2go.AuthHeaderType, v string) string {
	if user, pass, ok := strings.Cut(v, ":"); ok && typ == smtp2go.AuthBasic {
		return smtp2go.BasicAuthValue(user, pass)
	}
	return v
}

// splitList splits a comma-separated flag value. An empty value is an empty,
// non-nil list: it clears the field.
func splitList(s string) []string {
	out := []string{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// readInput reads the file a flag names, or stdin for "-": at most 1 MiB,
// the API's own limit on a request body.
func readInput(e *env, flagName, path string) ([]byte, error) {
	r := e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("%s: %v", flagName, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err == nil && len(data) > 1<<20 {
		err = errors.New("larger than 1 MiB")
	}
	if err != nil {
		return nil, usagef("%s %s: %v", flagName, path, err)
	}
	return data, nil
}
