package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

// input is one webhook as the flags, --from-json or an entry of apply's
// file give it, all read by set: the fields given, as an edit.
type input struct {
	fields     smtp2go.EditWebhookRequest
	subaccount string            // the body's subaccount_id
	flagOf     map[string]string // API field → the flag that set it
	where      string            // an entry of apply's file, prefixing its errors
	req        *smtp2go.AddWebhookRequest
}

// bodyKeys are the members of a webhook/add or webhook/edit body. api_key,
// which SMTP2GO's examples put in the body, is ignored: the key travels in
// a header.
var bodyKeys = []string{
	"url", "events", "sms_events", "headers", "usernames", "output_format",
	"auth_header_type", "auth_header_value", "subaccount_id", "api_key",
}

// fieldFlags are the flags that set the API's fields, but the auth value.
var fieldFlags = []struct{ key, flag string }{
	{"url", "url"}, {"events", "events"}, {"sms_events", "sms-events"}, {"headers", "headers"},
	{"usernames", "usernames"}, {"output_format", "format"}, {"auth_header_type", "auth"},
}

// set sets the field key to s, or for a list to list; where names what set
// it, for errors.
func (in *input) set(key, where, s string, list []string) error {
	f := &in.fields
	var err error
	switch key {
	case "url":
		f.URL = &s
	case "events":
		f.Events, err = parseList[smtp2go.EventType](emailEventEnum, where, list)
	case "sms_events":
		f.SMSEvents, err = parseList[smtp2go.SMSEventType](smsEventEnum, where, list)
	case "headers":
		f.Headers = list
	case "usernames":
		f.Usernames = list
	case "output_format":
		s, err = formatEnum.parseOrEmpty(where, s)
		f.OutputFormat = smtp2go.Ptr(smtp2go.OutputFormat(s))
	case "auth_header_type":
		s, err = authEnum.parseOrEmpty(where, s)
		f.AuthHeaderType = smtp2go.Ptr(smtp2go.AuthHeaderType(strings.TrimSuffix(s, "none")))
	case "auth_header_value":
		f.AuthHeaderValue = smtp2go.Ptr(smtp2go.Secret(s)) // the SDK refuses a masked value
	case "subaccount_id":
		in.subaccount = s
	}
	return err
}

// readBody reads a webhook body strictly; a member set to null says nothing.
func (in *input) readBody(where string, data []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return invalidf("%s: want a JSON object of webhook fields", where)
	}
	for _, k := range slices.Sorted(maps.Keys(members)) {
		if !slices.Contains(bodyKeys, k) {
			return invalidf("%s: unknown key %q; valid keys: %s", where, k, strings.Join(bodyKeys, ", "))
		}
	}
	for _, k := range bodyKeys {
		raw := bytes.TrimSpace(members[k])
		if len(raw) == 0 || string(raw) == "null" || k == "api_key" {
			continue
		}
		member := where + ": " + k
		var s string
		var list []string
		// A list may be a string of comma-separated elements, as SMTP2GO's
		// examples write one.
		switch isList := slices.Contains(bodyKeys[1:5], k); {
		case isList && raw[0] != '"':
			if json.Unmarshal(raw, &list) != nil {
				return invalidf("%s: want an array of strings", member)
			}
		case json.Unmarshal(raw, &s) != nil:
			return invalidf("%s: want a string", member)
		default:
			list = splitList(s)
		}
		if err := in.set(k, member, s, list); err != nil {
			return err
		}
	}
	return nil
}

// whole returns, and keeps as in.req, the whole webhook in describes: what
// it leaves out is empty, but the auth (settleAuth).
func (in *input) whole(subaccount string) *smtp2go.AddWebhookRequest {
	f := in.fields
	req := &smtp2go.AddWebhookRequest{
		URL: deref(f.URL), Events: f.Events, SMSEvents: f.SMSEvents, Headers: f.Headers, Usernames: f.Usernames,
		OutputFormat: deref(f.OutputFormat), AuthHeaderType: deref(f.AuthHeaderType), SubaccountID: cmp.Or(subaccount, in.subaccount),
	}
	req.AuthHeaderValue = basicValue(req.AuthHeaderType, deref(f.AuthHeaderValue))
	in.req = req
	return req
}

// probe is req with the auth only as far as the input gives it: none,
// unless it gives both the type and the value.
func (in *input) probe(req *smtp2go.AddWebhookRequest) *smtp2go.AddWebhookRequest {
	p := *req
	if in.fields.AuthHeaderType == nil || in.fields.AuthHeaderValue == nil {
		p.AuthHeaderType, p.AuthHeaderValue = smtp2go.AuthNone, ""
	}
	return &p
}

// explain names, in the SDK's refusal of a request whose auth type is typ,
// the flag that set the field at fault, and says what an auth value lacks
// in flags' terms.
func (in *input) explain(err error, typ smtp2go.AuthHeaderType) error {
	var ve *smtp2go.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field, _, _ := strings.Cut(ve.Field, "[")
	flag := in.flagOf[field]
	switch {
	case field == "auth_header_value" && flag == "" && in.flagOf["auth_header_type"] != "":
		return invalidf("--auth %s needs --auth-value-env or --auth-value-file", typ)
	case flag == "":
		return err
	case field != "auth_header_value":
	case typ == smtp2go.AuthNone && in.flagOf["auth_header_type"] != "":
		return invalidf("%s: --auth none takes no auth value; say --auth bearer or --auth basic", flag)
	case typ == smtp2go.AuthNone:
		return invalidf("%s: an auth value needs --auth bearer or --auth basic", flag)
	case typ == smtp2go.AuthBasic:
		return invalidf("%s: basic auth wants user:password, with a password (or its base64)", flag)
	}
	return invalidf("%s: %s", flag, ve.Problem)
}

// webhookFlags are the flags of add, edit and ensure that describe a webhook.
type webhookFlags struct {
	fs                            *pflag.FlagSet
	valueFile, valueEnv, fromJSON string
}

func (w *webhookFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	w.fs = fs
	fs.String("url", "", "the `URL` SMTP2GO posts deliveries to")
	fs.String("events", "", "comma-separated email `EVENTS`: "+strings.Join(emailEventEnum.values, ",")+", or all")
	fs.String("sms-events", "", "comma-separated SMS `EVENTS`: "+strings.Join(smsEventEnum.values, ",")+" (or sms_delivered…), or all")
	fs.String("headers", "", "comma-separated email header `NAMES` to copy into each delivery")
	fs.String("usernames", "", "comma-separated SMTP users or API keys whose mail triggers it (empty: all)")
	newEnumFlag(cmd, "format", formatEnum, "", "delivery `FORMAT`: form or json")
	newEnumFlag(cmd, "auth", authEnum, "", "Authorization header SMTP2GO sends: bearer, basic or none (left out: edit and ensure keep the webhook's)")
	authValueFlags(cmd, &w.valueFile, &w.valueEnv, "the bearer token, or user:pass for basic")
	fs.StringVar(&w.fromJSON, "from-json", "", "read the API's own JSON body from `FILE` (- for stdin); flags given override it")
}

// authValueFlags defines the two ways to give a secret.
func authValueFlags(cmd *cobra.Command, file, env *string, what string) {
	cmd.Flags().StringVar(file, "auth-value-file", "", "read "+what+" from `FILE`")
	cmd.Flags().StringVar(env, "auth-value-env", "", "read "+what+" from the environment variable `NAME`")
	cmd.MarkFlagsMutuallyExclusive("auth-value-file", "auth-value-env")
}

// input returns the webhook --from-json and the flags give, the flags
// winning.
func (w *webhookFlags) input(e *env) (*input, error) {
	in := &input{flagOf: map[string]string{}}
	if w.fromJSON != "" {
		data, err := readInput(e, "--from-json", w.fromJSON)
		if err == nil {
			err = in.readBody("--from-json", data)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, f := range fieldFlags {
		if w.fs.Changed(f.flag) {
			v := w.fs.Lookup(f.flag).Value.String()
			if err := in.set(f.key, "--"+f.flag, v, splitList(v)); err != nil {
				return nil, err
			}
			in.flagOf[f.key] = "--" + f.flag
		}
	}
	value, from, err := secretValue(e, w.valueFile, w.valueEnv)
	if from != "" && err == nil {
		in.flagOf["auth_header_value"] = from
		err = in.set("auth_header_value", from, value, nil)
	}
	return in, err
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// basicValue encodes "user:pass" for basic auth; base64 holds no ':', so an
// encoded value is kept.
func basicValue(typ smtp2go.AuthHeaderType, v smtp2go.Secret) smtp2go.Secret {
	if user, pass, ok := strings.Cut(v.Reveal(), ":"); ok && typ == smtp2go.AuthBasic {
		return smtp2go.BasicAuthValue(user, pass)
	}
	return v
}

// splitList splits a comma-separated value; "" is an empty list, which
// clears the field.
func splitList(s string) []string {
	out := []string{}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// secretValue reads a secret from a file or an environment variable, never
// a flag's value, which the process list shows, and returns the flag that
// named it.
func secretValue(e *env, file, envName string) (value, from string, err error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", usagef("reading the secret file: %v", err)
		}
		return string(bytes.TrimRight(b, "\r\n")), "--auth-value-file", nil
	case envName != "":
		if value = e.getenv(envName); value == "" {
			return "", "", usagef("environment variable %s is empty or not set", envName)
		}
		return value, "--auth-value-env", nil
	}
	return "", "", nil
}

// readInput reads the file a flag names, or stdin for "-", up to the API's
// 1 MiB limit on a body.
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
