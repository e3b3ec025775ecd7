package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/relaykit/smtp2go"
)

// apiFlags are the flags of every command that calls SMTP2GO's API.
type apiFlags struct {
	keyFile    string
	region     string
	baseURL    string
	output     string
	subaccount string
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.keyFile, "api-key-file", "", "read the API key from `FILE` instead of $SMTP2GO_API_KEY")
	fs.StringVar(&a.region, "region", "", "API region: global, us, eu or au (default $SMTP2GO_REGION, else global)")
	fs.StringVar(&a.baseURL, "base-url", "", "API base `URL`, for tests (overrides --region)")
	fs.StringVar(&a.output, "output", "table", "output format: table or json")
	fs.StringVar(&a.subaccount, "subaccount", "", "act for this subaccount `ID`")
}

// client returns an SDK client configured from the flags and environment.
func (a *apiFlags) client(e *env) (*smtp2go.Client, error) {
	if a.output != "table" && a.output != "json" {
		return nil, usagef("--output must be table or json, got %q", a.output)
	}
	key := e.getenv(smtp2go.APIKeyEnv)
	if a.keyFile != "" {
		b, err := os.ReadFile(a.keyFile)
		if err != nil {
			return nil, usagef("--api-key-file: %v", err)
		}
		key = strings.TrimSpace(string(b))
	}
	if key == "" {
		return nil, usagef("no API key: set %s or pass --api-key-file FILE", smtp2go.APIKeyEnv)
	}
	opts := []smtp2go.Option{smtp2go.WithUserAgent("smtp2go-webhooks/" + smtp2go.Version)}
	region := a.region
	if region == "" {
		region = e.getenv("SMTP2GO_REGION")
	}
	if region != "" {
		opts = append(opts, smtp2go.WithRegion(smtp2go.Region(strings.ToLower(region))))
	}
	if a.baseURL != "" {
		opts = append(opts, smtp2go.WithBaseURL(a.baseURL))
	}
	return smtp2go.NewClient(key, opts...)
}

// webhookFlags are the flags that describe a webhook, for add, edit and
// ensure. They mirror the API's fields.
type webhookFlags struct {
	url           string
	events        string
	smsEvents     string
	headers       string
	usernames     string
	format        string
	auth          string
	authValueFile string
	authValueEnv  string
	fromJSON      string
	fs            *flag.FlagSet
}

func (w *webhookFlags) register(fs *flag.FlagSet) {
	w.fs = fs
	fs.StringVar(&w.url, "url", "", "the `URL` SMTP2GO posts deliveries to")
	fs.StringVar(&w.events, "events", "", "comma-separated email events: processed,delivered,open,click,bounce,spam,unsubscribe,resubscribe,reject, or all")
	fs.StringVar(&w.smsEvents, "sms-events", "", "comma-separated SMS events: delivered,failed,rejected,sending,submitted, or all")
	fs.StringVar(&w.headers, "headers", "", "comma-separated email header names to copy into each delivery")
	fs.StringVar(&w.usernames, "usernames", "", "comma-separated SMTP users or API keys whose mail triggers it (empty: all)")
	fs.StringVar(&w.format, "format", "", "delivery format: form or json")
	fs.StringVar(&w.auth, "auth", "", "Authorization header SMTP2GO sends: bearer, basic or none")
	fs.StringVar(&w.authValueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&w.authValueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&w.fromJSON, "from-json", "", "read the API's own JSON body from `FILE` (- for stdin); flags given override it")
}

func (w *webhookFlags) given(name string) bool {
	found := false
	w.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// jsonBody is a webhook/add or webhook/edit body as read from --from-json.
// present says which fields the file had.
type jsonBody struct {
	webhook      smtp2go.Webhook
	subaccountID string
	present      map[string]bool
}

func readJSONBody(e *env, path string) (*jsonBody, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("--from-json: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := readAllLimited(r)
	if err != nil {
		return nil, usagef("--from-json: %v", err)
	}
	return parseJSONBody(data)
}

func parseJSONBody(data []byte) (*jsonBody, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, usagef("--from-json: not a JSON object: %v", err)
	}
	body := &jsonBody{present: map[string]bool{}}
	for k, v := range fields {
		// null says nothing, as in the fake: the field is left as it is.
		body.present[k] = string(bytes.TrimSpace(v)) != "null"
	}
	// The Webhook type reads the API's JSON with its quirks (lists as strings).
	if err := json.Unmarshal(data, &body.webhook); err != nil {
		return nil, usagef("--from-json: %v", err)
	}
	if raw, ok := fields["subaccount_id"]; ok {
		if err := json.Unmarshal(raw, &body.subaccountID); err != nil {
			return nil, usagef("--from-json: subaccount_id: %v", err)
		}
	}
	// An api_key member, as in SMTP2GO's cURL examples, is ignored: the key
	// travels only in the X-Smtp2go-Api-Key header.
	return body, nil
}

// addRequest builds the webhook/add request from --from-json and the flags.
func (w *webhookFlags) addRequest(e *env, subaccount string) (*smtp2go.AddWebhookRequest, error) {
	fields, jsonSubaccount, err := w.fields(e)
	if err != nil {
		return nil, err
	}
	var wh smtp2go.Webhook
	fields.ApplyTo(&wh)
	if subaccount == "" {
		subaccount = jsonSubaccount
	}
	if wh.URL == "" {
		return nil, usagef("--url is required (or a url in --from-json)")
	}
	return addRequestFor(wh, subaccount), nil
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
		body, err := readJSONBody(e, w.fromJSON)
		if err != nil {
			return nil, "", err
		}
		jw, p := body.webhook, body.present
		if p["url"] {
			req.URL = &jw.URL
		}
		if p["events"] {
			req.Events = nonNil(jw.Events)
		}
		if p["sms_events"] {
			req.SMSEvents = nonNil(jw.SMSEvents)
		}
		if p["headers"] {
			req.Headers = nonNil(jw.Headers)
		}
		if p["usernames"] {
			req.Usernames = nonNil(jw.Usernames)
		}
		if p["output_format"] {
			req.OutputFormat = &jw.OutputFormat
		}
		if p["auth_header_type"] {
			req.AuthHeaderType = &jw.AuthHeaderType
		}
		if p["auth_header_value"] {
			req.AuthHeaderValue = &jw.AuthHeaderValue
		}
		subaccount = body.subaccountID
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
		req.Events = splitEvents(w.events, smtp2go.EmailEventTypes())
	}
	if w.given("sms-events") {
		req.SMSEvents = splitEvents(w.smsEvents, smtp2go.SMSEventTypes())
	}
	if w.given("headers") {
		req.Headers = splitList(w.headers)
	}
	if w.given("usernames") {
		req.Usernames = splitList(w.usernames)
	}
	if w.given("format") {
		req.OutputFormat = smtp2go.Ptr(smtp2go.OutputFormat(w.format))
	}
	if w.given("auth") {
		typ := smtp2go.AuthHeaderType(w.auth)
		if w.auth == "none" {
			typ = smtp2go.AuthNone
		}
		req.AuthHeaderType = &typ
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
	if typ == smtp2go.AuthBasic && strings.Contains(v, ":") {
		return base64.StdEncoding.EncodeToString([]byte(v))
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

// splitEvents splits a list of event names; "all" stands for every one.
func splitEvents[T ~string](s string, all []T) []T {
	if strings.TrimSpace(s) == "all" {
		return all
	}
	names := splitList(s)
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = T(strings.ToLower(n))
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
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

// readAllLimited reads a JSON file given to a command: at most 1 MiB, the
// API's own limit on a request body.
func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err == nil && len(data) > 1<<20 {
		err = fmt.Errorf("larger than 1 MiB")
	}
	return data, err
}
