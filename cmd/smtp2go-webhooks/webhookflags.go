package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

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
	fs            *pflag.FlagSet
}

func (w *webhookFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	w.fs = fs
	fs.StringVar(&w.url, "url", "", "the `URL` SMTP2GO posts deliveries to")
	fs.StringVar(&w.events, "events", "", "comma-separated email `EVENTS`: "+strings.Join(emailEventEnum.values, ",")+", or all")
	fs.StringVar(&w.smsEvents, "sms-events", "", "comma-separated SMS `EVENTS`: "+strings.Join(smsEventEnum.values, ",")+" (or sms_delivered…), or all")
	fs.StringVar(&w.headers, "headers", "", "comma-separated email header `NAMES` to copy into each delivery")
	fs.StringVar(&w.usernames, "usernames", "", "comma-separated SMTP users or API keys whose mail triggers it (empty: all)")
	w.format = newEnumFlag(fs, "format", "", formatEnum, "", "delivery `FORMAT`: form or json")
	w.auth = newEnumFlag(fs, "auth", "", authEnum, "", "Authorization header SMTP2GO sends: bearer, basic or none (left out: edit and ensure keep the webhook's)")
	fs.StringVar(&w.authValueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&w.authValueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&w.fromJSON, "from-json", "", "read the API's own JSON body from `FILE` (- for stdin); flags given override it")
	_ = cmd.RegisterFlagCompletionFunc("format", formatEnum.complete)
	_ = cmd.RegisterFlagCompletionFunc("auth", authEnum.complete)
}

func (w *webhookFlags) given(name string) bool { return w.fs.Changed(name) }

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
		return invalidf("--auth %s needs --auth-value-env or --auth-value-file", w.auth.value)
	}
	if !given {
		return err
	}
	if field == "auth_header_value" {
		return w.explainAuthValue(ve.Problem)
	}
	return invalidf("%s: %s", name, ve.Problem)
}

// explainAuthValue words in flags the SDK's refusal of an auth value a flag
// gave, where the SDK names the API's fields.
func (w *webhookFlags) explainAuthValue(problem string) error {
	name := "--auth-value-env"
	if w.authValueFile != "" {
		name = "--auth-value-file"
	}
	switch {
	case strings.HasPrefix(problem, "set without auth_header_type") && w.given("auth"):
		return invalidf("%s: --auth none takes no auth value; say --auth bearer or --auth basic", name)
	case strings.HasPrefix(problem, "set without auth_header_type"):
		return invalidf("%s: an auth value needs --auth bearer or --auth basic", name)
	case strings.HasPrefix(problem, "with auth_header_type basic"):
		return invalidf("%s: basic auth wants user:password, with a password (or its base64)", name)
	}
	return invalidf("%s: %s", name, problem)
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
		return wanted{}, invalidf("--url is required (or a url in --from-json)")
	}
	return wantedFrom(fields, subaccount, ""), nil
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
		return invalidf("give --auth-value-file or --auth-value-env, not both")
	}
	value, ok, err := secretValue(e, w.authValueFile, w.authValueEnv)
	if err != nil {
		return err
	}
	if ok {
		req.AuthHeaderValue = smtp2go.Ptr(smtp2go.Secret(value))
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

// deref is what p points to, or the zero value for nil.
func deref[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

func typed[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}

// basicValue turns "user:pass" into the base64 form the API wants for basic
// auth. A base64 value never contains ':', so an encoded one is kept as is.
func basicValue(typ smtp2go.AuthHeaderType, v smtp2go.Secret) smtp2go.Secret {
	if user, pass, ok := strings.Cut(v.Reveal(), ":"); ok && typ == smtp2go.AuthBasic {
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
