package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func TestMistakesGetHelp(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	key := "SMTP2GO_API_KEY=" + srv.APIKey
	base := "SMTP2GO_BASE_URL=" + srv.URL
	dir := t.TempDir()
	spacedKey, emptyKey := filepath.Join(dir, "spaced.key"), filepath.Join(dir, "empty.key")
	if err := os.WriteFile(spacedKey, []byte("api-key-file secret-6161\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(emptyKey, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "webhooks.json")
	if err := os.WriteFile(file, []byte(`[{"url":"https://x.example/","evnts":["bounce"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		want  []string // in stderr
	}{
		{"a command", nil, "", []string{"lst"}, []string{`unknown command "lst" (did you mean "list"?)`}},
		{"a flag", nil, "", []string{"list", "--ouput", "json"}, []string{"smtp2go-webhooks list: unknown flag: --ouput\nRun 'smtp2go-webhooks list --help' for usage.\n"}},
		{"a flag without its value", nil, "", []string{"get", "1", "--region"}, []string{"flag needs an argument: --region"}},
		{"a short flag", nil, "", []string{"list", "-x"}, []string{"unknown shorthand flag: 'x' in -x"}},
		{"a timeout without its unit", nil, "", []string{"list", "--timeout", "30"}, []string{`invalid argument "30" for "--timeout" flag: time: missing unit in duration "30"`}},
		{"a negative timeout", nil, "", []string{"get", "1", "--timeout=-1s"}, []string{`get: --timeout must not be negative, got -1s`}},
		// A secret as a flag value: the hint says where it goes instead, not the nearest name.
		{"the API key as a flag", nil, "", []string{"list", "--api-key", "api-flag-secret-5151"},
			[]string{"unknown flag: --api-key\nSecrets are never flag values, which the process list shows: set SMTP2GO_API_KEY or pass --api-key-file FILE.\n"}},
		{"an auth value as a flag", nil, "", []string{"add", "--url", "https://x.example/", "--auth-value=flag-secret-5252"},
			[]string{"unknown flag: --auth-value\nSecrets are never flag values, which the process list shows: see 'smtp2go-webhooks add --help' for the -env and -file flags.\n"}},
		{"a bearer token as a flag", nil, "", []string{"listen", "--bearer", "flag-secret-5353"}, []string{"unknown flag: --bearer\nSecrets are never flag values"}},
		{"a number flag", nil, "", []string{"listen", "--max-body-bytes", "many"}, []string{`invalid argument "many" for "--max-body-bytes" flag`}},
		{"an email event", nil, "", []string{"add", "--url", "https://x.example/", "--events", "delivered,bounced"},
			[]string{`--events: unknown event "bounced"; valid: processed, delivered, open`}},
		{"an SMS event", nil, "", []string{"add", "--url", "https://x.example/", "--sms-events", "delivred"}, []string{`--sms-events: unknown SMS event "delivred"; valid: delivered, failed`}},
		{"a format", nil, "", []string{"add", "--url", "https://x.example/", "--format", "jsno"}, []string{`invalid argument "jsno" for "--format" flag: unknown format "jsno"; valid: form, json`}},
		{"an auth type", nil, "", []string{"add", "--url", "https://x.example/", "--auth", "baerer"}, []string{`invalid argument "baerer" for "--auth" flag: unknown auth type "baerer"; valid: bearer, basic, none`}},
		{"a delivery event", nil, "", []string{"send-test", "--url", "http://127.0.0.1:1/", "--event", "bounced"}, []string{`invalid argument "bounced" for "--event" flag: unknown event "bounced"; valid: processed`, "sms_delivered"}},
		{"an output", nil, "", []string{"version", "--output", "yaml"}, []string{`invalid argument "yaml" for "-o, --output" flag: unknown output format "yaml"; valid: text, json`}},
		{"a region flag", []string{key}, "", []string{"list", "--region", "eu-west"}, []string{`--region: unknown region "eu-west" (want global, us, eu or au)`}},
		{"a region variable", []string{key, "SMTP2GO_REGION=mars"}, "", []string{"list"}, []string{`SMTP2GO_REGION: unknown region "mars" (want global, us, eu or au)`}},
		{"a base URL variable", []string{key, "SMTP2GO_BASE_URL=ftp://x"}, "", []string{"list"}, []string{"SMTP2GO_BASE_URL: must be an absolute http or https URL"}},
		{"a key file", nil, "", []string{"list", "--api-key-file", filepath.Join(t.TempDir(), "none")}, []string{"--api-key-file: open"}},
		{"a key with a newline", []string{"SMTP2GO_API_KEY=api-x\nmore"}, "", []string{"list"}, []string{"SMTP2GO_API_KEY: contains whitespace"}},
		{"a key file holding a space", nil, "", []string{"list", "--api-key-file", spacedKey}, []string{"--api-key-file: contains whitespace"}},
		{"an empty key file", nil, "", []string{"list", "--api-key-file", emptyKey}, []string{"--api-key-file: " + emptyKey + " is empty"}},
		{"no key", nil, "", []string{"list"}, []string{"smtp2go-webhooks list: no API key\nSet SMTP2GO_API_KEY or pass --api-key-file FILE.\n"}},
		{"an apply key", []string{key, base}, "", []string{"apply", "-f", file}, []string{file + `: entry 1: unknown key "evnts"; valid keys: url, events,`}},
		{"an apply key far from any", []string{key, base}, `[{"url":"https://x.example/","colour":"red"}]`, []string{"apply", "-f", "-"},
			[]string{`-: entry 1: unknown key "colour"; valid keys: url, events`}},
		{"an apply enum", []string{key, base}, `[{"url":"https://x.example/","events":["delivered"]},{"url":"https://y.example/","output_format":"JSN"}]`,
			[]string{"apply", "-f", "-"}, []string{`-: entry 2: output_format: unknown format "JSN"; valid: form, json`}},
		{"an apply file that is not JSON", []string{key, base}, `[{"url":"https://x.example/","events":"bounce",}]`, []string{"apply", "-f", "-"},
			[]string{`-: not JSON: invalid character '}' looking for beginning of object key string (at byte 48)`}},
		{"an apply file that is an object", []string{key, base}, `{"url":"https://x.example/"}`, []string{"apply", "-f", "-"}, []string{`-: want a JSON array of webhook/add bodies`}},
		{"an apply list of numbers", []string{key, base}, `[{"url":"https://x.example/","headers":[1]}]`, []string{"apply", "-f", "-"}, []string{"entry 1: headers: want an array of strings"}},
		{"a masked auth value", []string{key, base}, `[{"url":"https://x.example/","auth_header_type":"bearer","auth_header_value":"********"}]`,
			[]string{"apply", "-f", "-"}, []string{`entry 1: smtp2go: invalid request: auth_header_value: looks like a masked value`}},
		{"a from-json key", []string{key, base}, `{"url":"https://x.example/","sms_event":["failed"]}`, []string{"add", "--from-json", "-"},
			[]string{`--from-json: unknown key "sms_event"; valid keys: url, events, sms_events`}},
		{"a from-json that is not an object", []string{key, base}, `["https://x.example/"]`, []string{"add", "--from-json", "-"}, []string{"--from-json: want a JSON object"}},
		{"a from-json url that is not a string", []string{key, base}, `{"url":1}`, []string{"add", "--from-json", "-"}, []string{"--from-json: url: want a string"}},
		{"both auth value sources", []string{key, base}, "", []string{"add", "--url", "https://x.example/", "--auth-value-env", "A", "--auth-value-file", "B"}, []string{"[auth-value-env auth-value-file] were all set"}},
		{"a header value pair", nil, "", []string{"send-test", "--url", "http://127.0.0.1:1/", "--header-value", "X-Tenant"}, []string{`invalid argument "X-Tenant" for "--header-value" flag: want NAME=VALUE`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tt.env, tt.stdin, tt.args...)
			wantCode(t, r, exitUsage)
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			noSecret(t, r, srv.APIKey, "api-flag-secret-5151", "flag-secret-5252", "flag-secret-5353", "secret-6161")
		})
	}
	for _, req := range srv.Requests() {
		if req.Endpoint != "webhook/view" {
			t.Errorf("a refused command line sent %s", req.Endpoint)
		}
	}
}

func TestEnumsIgnoreCaseAndSMSNamesHaveBothForms(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	r := against(t, srv, "add", "--url", "https://example.com/a", "--events", "Delivered,BOUNCE", "--sms-events", "sms_Delivered,failed",
		"--format", "JSON", "--output", "JSON")
	wantCode(t, r, 0)
	if w := srv.Webhooks()[0]; strings.Join(names(w.Events), ",") != "delivered,bounce" || strings.Join(names(w.SMSEvents), ",") != "delivered,failed" || w.OutputFormat != smtp2go.OutputJSON {
		t.Errorf("stored %v", w)
	}
	r = against(t, srv, "add", "--url", "https://example.com/all", "--events", "all", "--sms-events", "ALL")
	wantCode(t, r, 0)
	if w := srv.Webhooks()[1]; len(w.Events) != len(smtp2go.EmailEventTypes()) || len(w.SMSEvents) != len(smtp2go.SMSEventTypes()) {
		t.Errorf("all stored %v", w)
	}
	r = against(t, srv, "list", "--region", "EU", "--output", "Text") // the base URL wins over the region
	wantCode(t, r, 0)

	for arg, want := range map[string]string{"failed": "sms_failed", "SMS_Delivered": "sms_delivered", "delivered": "delivered", "Reject": "reject"} {
		got := make(chan string, 1)
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.PostFormValue("event") }))
		r := cli(t, nil, "", "send-test", "--url", recv.URL, "--event", arg)
		recv.Close()
		wantCode(t, r, 0)
		if ev := <-got; ev != want {
			t.Errorf("--event %s sent %q, want %q", arg, ev, want)
		}
	}
}

func TestBaseURLWithOrWithoutAPIPath(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	root := strings.TrimSuffix(srv.URL, "/v3/")
	key := "SMTP2GO_API_KEY=" + srv.APIKey
	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"variable with /v3/", []string{key, "SMTP2GO_BASE_URL=" + srv.URL}, nil},
		{"variable without /v3/", []string{key, "SMTP2GO_BASE_URL=" + root}, nil},
		{"variable with only a slash", []string{key, "SMTP2GO_BASE_URL=" + root + "/"}, nil},
		{"flag without /v3/", []string{key}, []string{"--base-url", root}},
		{"flag over a wrong variable", []string{key, "SMTP2GO_BASE_URL=http://127.0.0.1:1"}, []string{"--base-url", root + "/v3"}},
	} {
		r := cli(t, tt.env, "", append([]string{"list"}, tt.args...)...)
		wantCode(t, r, 0)
	}
	if n := len(srv.Requests()); n != 5 {
		t.Errorf("the fake got %d requests, want 5", n)
	}
}

// TestFlagsReplaceBothVariables: where to send is said by the flags when
// either is given, else by the variables, a blank one being unset; the
// variables are never mixed with the flags.
func TestFlagsReplaceBothVariables(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	key := "SMTP2GO_API_KEY=" + srv.APIKey
	for _, tt := range []struct {
		name     string
		env      []string
		args     []string
		wantHost string // where the request went
	}{
		{"--region over the variable's base URL", []string{key, "SMTP2GO_BASE_URL=" + srv.URL}, []string{"--region", "eu"}, "eu-api.smtp2go.com"},
		{"--base-url over the variables", []string{key, "SMTP2GO_REGION=mars", "SMTP2GO_BASE_URL=http://127.0.0.1:1"}, []string{"--base-url", srv.URL}, "127.0.0.1"},
		{"--region over the variable's region", []string{key, "SMTP2GO_REGION=au"}, []string{"--region", "us"}, "us-api.smtp2go.com"},
		{"the variables, a blank one unset", []string{key, "SMTP2GO_REGION=  ", "SMTP2GO_BASE_URL=" + srv.URL}, nil, "127.0.0.1"},
		{"a blank base URL variable", []string{key, "SMTP2GO_REGION=au", "SMTP2GO_BASE_URL= "}, nil, "au-api.smtp2go.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Requests to SMTP2GO's hosts are answered here; the fake's go to it.
			hosts := make(chan string, 1)
			toFake := http.DefaultTransport
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				hosts <- r.URL.Hostname()
				if strings.HasSuffix(r.URL.Hostname(), "smtp2go.com") {
					return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
						Body: io.NopCloser(strings.NewReader(`{"request_id":"r","data":[]}`)), Request: r}, nil
				}
				return toFake.RoundTrip(r)
			})
			var stdout, stderr strings.Builder
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: getenvFrom(tt.env),
				apiOptions: []smtp2go.Option{smtp2go.WithHTTPClient(&http.Client{Transport: rt}), smtp2go.WithRetryMax(0)}}
			if code := run(t.Context(), e, append([]string{"list"}, tt.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got := <-hosts; got != tt.wantHost {
				t.Errorf("sent to %s, want %s", got, tt.wantHost)
			}
		})
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEveryCommandPrintsOneJSONDocument(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	key, base := "SMTP2GO_API_KEY="+srv.APIKey, "SMTP2GO_BASE_URL="+srv.URL
	if _, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: "https://example.com/one", Events: []smtp2go.EventType{smtp2go.EventBounce}}); err != nil {
		t.Fatal(err)
	}
	id := "1001"
	for _, args := range [][]string{
		{"list"}, {"get", id}, {"edit", id, "--events", "spam"},
		{"add", "--url", "https://example.com/two", "--events", "open"},
		{"ensure", "--url", "https://example.com/two", "--events", "open"},
		{"remove", id, "--yes"}, {"version"}, {"send-test", "--url", recv.URL},
	} {
		r := cli(t, []string{key, base}, "", append(args, "--output", "json")...)
		wantCode(t, r, 0)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc) == 0 {
			t.Errorf("%v: stdout is not one JSON object: %v\n%s", args, err, r.stdout)
		}
	}
}

func TestErrorsAsJSON(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	if _, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: "https://example.com/kept", Events: []smtp2go.EventType{smtp2go.EventBounce}}); err != nil {
		t.Fatal(err)
	}
	srv.DenyEndpoint("webhook/add")
	key, base := "SMTP2GO_API_KEY="+srv.APIKey, "SMTP2GO_BASE_URL="+srv.URL
	tests := []struct {
		name         string
		env          []string
		args         []string
		stdin        string // answered on a terminal, when not ""
		kind         string
		code, status int // status 0: null
		errorCode    string
		requestID    bool
	}{
		{"permission", []string{key, base}, []string{"add", "--url", "https://example.com/x", "--events", "bounce", "--allow-duplicate"}, "", kindAPI, exitAPI, 400, "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED", true},
		{"wrong key", []string{"SMTP2GO_API_KEY=api-WRONGWRONGWRONGWRONGWRONGWRONG12", base}, []string{"list"}, "", kindAPI, exitAPI, 401, "", true},
		{"not found", []string{key, base}, []string{"get", "999"}, "", kindNotFound, exitNotFound, 0, "", true},
		{"usage", nil, []string{"list", "--bogus"}, "", kindUsage, exitUsage, 0, "", false},
		{"usage, --output=json", nil, []string{"get", "--output=json"}, "", kindUsage, exitUsage, 0, "", false},
		{"unknown command", nil, []string{"frobnicate", "--output", "json"}, "", kindUsage, exitUsage, 0, "", false},
		{"no terminal to ask", []string{key, base}, []string{"remove", "1001"}, "", kindUsage, exitUsage, 0, "", false},
		{"validation", []string{key, base}, []string{"add", "--url", "https://example.com/x", "--events", "bounced"}, "", kindValidation, exitUsage, 0, "", false},
		{"validation by the SDK", []string{key, base}, []string{"add", "--url", "ftp://example.com/x", "--events", "bounce"}, "", kindValidation, exitUsage, 0, "", false},
		{"network", []string{key, "SMTP2GO_BASE_URL=http://127.0.0.1:1"}, []string{"list"}, "", kindNetwork, exitAPI, 0, "", false},
		{"declined", []string{key, base}, []string{"remove", "1001"}, "no\n", kindInterrupted, exitInterrupted, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "output") {
				args = append([]string{"-o", "json"}, args...) // before the command, as every flag of every command
			}
			r := cli(t, tt.env, "", args...)
			if tt.stdin != "" {
				r = onTerminal(t, tt.env, tt.stdin, args...)
				question, doc, _ := strings.Cut(r.stderr, "{\n")
				if !strings.Contains(question, "- remove 1001") || !strings.HasSuffix(question, "Do you want to perform these actions? Only 'yes' will be accepted: ") {
					t.Errorf("asked:\n%s", question)
				}
				r.stderr = "{\n" + doc
			}
			wantCode(t, r, tt.code)
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			e := decodeJSON[struct{ Error errorOut }](t, r.stderr).Error
			if e.Message == "" || e.Kind != tt.kind || (e.Status == nil) != (tt.status == 0) || (e.Status != nil && *e.Status != tt.status) ||
				(e.Code == nil) != (tt.errorCode == "") || (e.Code != nil && *e.Code != tt.errorCode) || (e.RequestID != nil) != tt.requestID {
				t.Errorf("error document:\n%s", r.stderr)
			}
			noSecret(t, r, srv.APIKey, "api-WRONGWRONGWRONGWRONGWRONGWRONG12")
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		r := cli(t, nil, "", args...)
		wantCode(t, r, 0)
		if !strings.HasPrefix(r.stdout, "smtp2go-webhooks "+smtp2go.Version+" (") {
			t.Errorf("%v: %q", args, r.stdout)
		}
	}
	r := cli(t, nil, "", "-v", "--output", "json")
	wantCode(t, r, 0)
	if v := decodeJSON[struct{ Version, Go string }](t, r.stdout); v.Version != smtp2go.Version || v.Go == "" {
		t.Errorf("version --output json: %s", r.stdout)
	}
	for _, c := range (&app{env: &env{}}).rootCommand().Commands() {
		r := cli(t, nil, "", c.Name(), "--help")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "Usage:\n  smtp2go-webhooks "+c.Name()) || !strings.Contains(r.stdout, "-o, --output FORMAT") {
			t.Errorf("%s --help:\n%s", c.Name(), r.stdout)
		}
		if c.Example == "" && c.Name() != "help" && c.Name() != "completion" && c.Name() != "version" {
			t.Errorf("%s has no example", c.Name())
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if r := cli(t, nil, "", args...); r.code != 0 || !strings.Contains(r.stdout, "Commands:") {
			t.Errorf("%v: %d %q", args, r.code, r.stdout)
		}
	}
	if r := cli(t, nil, ""); r.code != 0 || !strings.Contains(r.stdout, "Commands:") {
		t.Errorf("no command: %d %q", r.code, r.stderr)
	}
}

func TestInterruptedExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	arrived := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(api.Close)
	go func() { <-arrived; cancel() }()
	var stdout, stderr strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: getenvFrom([]string{"SMTP2GO_API_KEY=api-test", "SMTP2GO_BASE_URL=" + api.URL})}
	if code := run(ctx, e, []string{"list"}); code != exitInterrupted || stderr.String() != "smtp2go-webhooks list: interrupted\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestInterruptedKeepsWhatMayHaveBeenDone: an add interrupted on the wire
// may have been carried out, and the user is told so, with what to do.
func TestInterruptedKeepsWhatMayHaveBeenDone(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"add", "--url", "https://example.com/x", "--events", "bounce"},
			[]string{"smtp2go-webhooks add: interrupted: smtp2go: webhook/add: context canceled (outcome unknown", `"smtp2go-webhooks ensure" settles it`}},
		{[]string{"ensure", "--url", "https://example.com/x", "--events", "bounce"},
			[]string{"smtp2go-webhooks ensure: interrupted: create https://example.com/x: smtp2go: webhook/add: context canceled (outcome unknown", "\nRunning the command again settles it"}},
		{[]string{"ensure", "--url", "https://example.com/x", "--events", "bounce", "--output", "json"},
			[]string{`"message": "interrupted: create https://example.com/x: smtp2go: webhook/add: context canceled (outcome unknown`}},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		// The API lists no webhooks, and takes an add without answering.
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if strings.HasSuffix(r.URL.Path, "/webhook/view") {
				_, _ = io.WriteString(w, `{"request_id":"r","data":[]}`)
				return
			}
			cancel()
			<-r.Context().Done()
		}))
		var stdout, stderr strings.Builder
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: getenvFrom([]string{"SMTP2GO_API_KEY=api-test", "SMTP2GO_BASE_URL=" + api.URL})}
		code := run(ctx, e, tt.args)
		api.Close()
		cancel()
		if code != exitInterrupted {
			t.Errorf("%v: exit %d, want %d", tt.args, code, exitInterrupted)
		}
		for _, want := range tt.want {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%v: stderr lacks %q:\n%s", tt.args, want, stderr.String())
			}
		}
	}
}

func TestSendTestFieldsHeaderValuesAndAuthHint(t *testing.T) {
	t.Parallel()
	bodies := make(chan url.Values, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-send-test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = r.ParseForm()
		bodies <- r.PostForm
	}))
	t.Cleanup(recv.Close)
	token := []string{"TOKEN=tok-send-test"}

	r := cli(t, token, "", "send-test", "--url", recv.URL, "--event", "bounce")
	wantCode(t, r, exitAPI)
	if !strings.Contains(r.stderr, "401 Unauthorized\nIt wants credentials: pass --auth bearer or --auth basic") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = cli(t, []string{"TOKEN=wrong"}, "", "send-test", "--url", recv.URL, "--auth", "bearer", "--auth-value-env", "TOKEN", "--output", "json")
	wantCode(t, r, exitAPI)
	if e := decodeJSON[struct{ Error errorOut }](t, r.stderr).Error; e.Status == nil || *e.Status != 401 || e.Kind != kindAPI || e.Hint == nil || !strings.Contains(*e.Hint, "refused the --auth bearer value") {
		t.Errorf("stderr: %s", r.stderr)
	}
	noSecret(t, r, "wrong")

	r = cli(t, token, "", "send-test", "--url", recv.URL, "--event", "bounce", "--auth", "bearer", "--auth-value-env", "TOKEN",
		"--field", "rcpt=vip@example.org", "--field", "bounce=soft", "--field", "X-Extra=1",
		"--headers", "X-Plain", "--header-value", "X-Customer-Id=cust-42")
	wantCode(t, r, 0)
	noSecret(t, r, "tok-send-test")
	form := <-bodies
	for k, want := range map[string]string{"rcpt": "vip@example.org", "bounce": "soft", "X-Extra": "1", "X-Customer-Id": "cust-42", "X-Plain": "Headers Unavailable", "event": "bounce"} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestListenLogsOtherPathsAndWarnsWithoutCredentials(t *testing.T) {
	t.Parallel()
	bg := start(t, nil, "listen", "--addr", "127.0.0.1:0", "--path", "/hooks")
	logged := bg.stderr.waitFor(t, "msg=listening")
	if !strings.Contains(logged, "level=WARN msg=\"no credentials required") {
		t.Errorf("no warning without credentials:\n%s", logged)
	}
	_, after, _ := strings.Cut(logged, "msg=listening url=")
	hookURL := strings.Fields(after)[0]
	other := strings.TrimSuffix(hookURL, "/hooks") + "/webhook"

	r := cli(t, nil, "", "send-test", "--url", other)
	wantCode(t, r, exitAPI)
	if !strings.Contains(r.stdout, "the endpoint's reason: not the webhook path, /hooks") {
		t.Errorf("send-test printed %q", r.stdout)
	}
	if got := bg.stdout.waitFor(t, "\n"); got != "404 POST /webhook: not the webhook path, /hooks\n" {
		t.Errorf("listen printed %q", got)
	}
	r = cli(t, nil, "", "send-test", "--url", hookURL, "--event", "click")
	wantCode(t, r, 0)
	if got := bg.stdout.waitFor(t, "click id="); !strings.Contains(got, "\n200 click id=") || !strings.Contains(got, "url=https://example.com/orders/4711/tracking") {
		t.Errorf("listen printed %q", got)
	}
	if code := bg.stop(); code != 0 {
		t.Errorf("listen exited %d after an interrupt, want 0", code)
	}
}

func TestFakeCommandServesTheCLI(t *testing.T) {
	t.Parallel()
	bg, environ := startFakeCommand(t, "--webhook-limit", "1")
	if len(environ) != 2 || !strings.HasPrefix(environ[0], "SMTP2GO_BASE_URL=http://127.0.0.1:") || !strings.HasPrefix(environ[1], "SMTP2GO_API_KEY=api-") {
		t.Fatalf("the fake's export lines: %q", environ)
	}
	wantCode(t, cli(t, environ, "", "add", "--url", "https://example.com/a", "--events", "bounce"), 0)
	r := cli(t, environ, "", "add", "--url", "https://example.com/b", "--events", "bounce")
	wantCode(t, r, exitAPI) // the limit of one
	bg.stderr.waitFor(t, "path=/v3/webhook/add status=400")
	if code := bg.stop(); code != 0 {
		t.Errorf("fake exited %d after an interrupt, want 0", code)
	}
	if !strings.Contains(bg.stderr.String(), "msg=stopped") {
		t.Errorf("fake's log:\n%s", bg.stderr.String())
	}

	json := start(t, nil, "fake", "--addr", "127.0.0.1:0", "--api-key", "api-FIXED", "--view-shape", "object", "--output", "json")
	banner := decodeJSON[struct {
		BaseURL string `json:"base_url"`
		APIKey  string `json:"api_key"`
	}](t, json.stdout.waitFor(t, "}\n"))
	if banner.APIKey != "api-FIXED" || !strings.HasSuffix(banner.BaseURL, "/v3/") {
		t.Errorf("banner %+v", banner)
	}
	wantCode(t, cli(t, []string{"SMTP2GO_API_KEY=api-FIXED", "SMTP2GO_BASE_URL=" + banner.BaseURL}, "", "list"), 0)
	json.stderr.waitFor(t, `"path":"/v3/webhook/view","status":200`)
}

func TestListenPrintsJSONLines(t *testing.T) {
	t.Parallel()
	bg := start(t, []string{"USERPASS=smtp2go:pw"}, "listen", "--addr", "127.0.0.1:0", "--basic-auth-env", "USERPASS", "--output", "json")
	logged := bg.stderr.waitFor(t, `"msg":"listening"`)
	if strings.Contains(logged, "no credentials") {
		t.Errorf("a warning with credentials:\n%s", logged)
	}
	var started struct{ URL string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(logged)), &started); err != nil {
		t.Fatalf("log %q: %v", logged, err)
	}
	r := cli(t, []string{"USERPASS=smtp2go:pw"}, "", "send-test", "--url", started.URL, "--event", "sms_failed", "--auth", "basic", "--auth-value-env", "USERPASS")
	wantCode(t, r, 0)
	line := decodeJSON[requestOut](t, bg.stdout.waitFor(t, "\n"))
	if ev := line.Event; line.Status != 200 || ev == nil || ev.Type != smtp2go.EventSMSFailed || ev.SMS == nil || ev.SMS.StatusCode != 30003 {
		t.Errorf("listen printed %+v", line)
	}
	noSecret(t, r, "smtp2go:pw")
}

func TestRefusedRequestsNameTheFlag(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	environ := []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL, "PASS=not-user-pass"}
	if _, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: "https://example.com/one", Events: []smtp2go.EventType{smtp2go.EventBounce}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"add", "--url", "notaurl", "--events", "bounce"}, "add: --url: must be an absolute http or https URL"},
		{"", []string{"ensure", "--url", "https://example.com/x", "--events", "bounce", "--headers", "bad header"}, `ensure: --headers: "bad header" is not a valid header name`},
		{"", []string{"add", "--url", "https://example.com/x", "--events", "bounce", "--auth", "bearer"}, "add: --auth bearer needs --auth-value-env or --auth-value-file"},
		{"", []string{"edit", "1001", "--url", "notaurl"}, "edit: --url: must be an absolute"},
		// An auth value's refusals name the flags, not the API's fields.
		{"", []string{"add", "--url", "https://example.com/x", "--events", "bounce", "--auth-value-env", "PASS"},
			"add: --auth-value-env: an auth value needs --auth bearer or --auth basic\n"},
		{"", []string{"ensure", "--url", "https://example.com/x", "--events", "bounce", "--auth-value-env", "PASS"},
			"ensure: --auth-value-env: an auth value needs --auth bearer or --auth basic\n"},
		{"", []string{"edit", "1001", "--auth-value-env", "PASS"}, "edit: --auth-value-env: an auth value needs --auth bearer or --auth basic\n"},
		{"", []string{"add", "--url", "https://example.com/x", "--events", "bounce", "--auth", "none", "--auth-value-env", "PASS"},
			"add: --auth-value-env: --auth none takes no auth value; say --auth bearer or --auth basic\n"},
		{"", []string{"add", "--url", "https://example.com/x", "--events", "bounce", "--auth", "basic", "--auth-value-env", "PASS"},
			"add: --auth-value-env: basic auth wants user:password, with a password (or its base64)\n"},
		{`{"url": "nope", "events": ["bounce"]}`, []string{"add", "--from-json", "-"}, "add: smtp2go: invalid request: url: must be"},
	} {
		r := cli(t, environ, tt.stdin, tt.args...)
		wantCode(t, r, exitUsage)
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: stderr %q, want %q", tt.args, r.stderr, tt.want)
		}
		if tt.stdin == "" && strings.Contains(r.stderr, "auth_header") {
			t.Errorf("%v: stderr %q names an API field where the user gave a flag", tt.args, r.stderr)
		}
		noSecret(t, r, "not-user-pass")
	}
	for _, req := range srv.Requests()[1:] {
		if req.Endpoint != "webhook/view" {
			t.Errorf("a refused request was sent to %s", req.Endpoint)
		}
	}
}

// TestURLsWithoutSchemeSaySoHidingSecrets: a base URL written without
// http:// (as host:port often is) is refused naming the flag or variable
// that set it, and neither it nor a webhook URL so written shows a password
// or a query value.
func TestURLsWithoutSchemeSaySoHidingSecrets(t *testing.T) {
	t.Parallel()
	const pw, token = "pw-secret-4242", "q-secret-4343"
	key := "SMTP2GO_API_KEY=api-x"
	const want = ": must be an absolute http or https URL, got "
	for _, tt := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{key}, []string{"list", "--base-url", "127.0.0.1:8025"}, `list: --base-url` + want + `"127.0.0.1:8025"`},
		{[]string{key, "SMTP2GO_BASE_URL=api.example.com/v3/"}, []string{"get", "1"}, `get: SMTP2GO_BASE_URL` + want + `"api.example.com/v3/"`},
		{[]string{key}, []string{"list", "--base-url", "user:" + pw + "@127.0.0.1:8025"}, `list: --base-url` + want + `"user:[redacted]@127.0.0.1:8025"`},
		{[]string{key}, []string{"list", "--base-url", "127.0.0.1:8025/v3/?key=" + token}, `list: --base-url` + want + `"127.0.0.1:8025/v3/?key=[redacted]"`},
		{[]string{key, "SMTP2GO_BASE_URL=http://127.0.0.1:1"}, []string{"add", "--url", "user:" + pw + "@example.com/h?t=" + token, "--events", "bounce"},
			`add: --url: must be an absolute http or https URL without spaces, got "user:[redacted]@example.com/h?t=[redacted]"`},
	} {
		r := cli(t, tt.env, "", tt.args...)
		wantCode(t, r, exitUsage)
		if !strings.Contains(r.stderr, tt.want) {
			// Printed with the secrets cut out: a test's failure shows none either.
			t.Errorf("%v: stderr %q, want %q", tt.args[:2], strings.NewReplacer(pw, "PW", token, "TOKEN").Replace(r.stderr), tt.want)
		}
		noSecret(t, r, pw, token)
	}
}

// TestTimeoutBoundsTheCommand: against an API that accepts connections and
// never answers, --timeout ends the command, retries and all, and says so;
// 0 is no limit, not none at all.
func TestTimeoutBoundsTheCommand(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) }) // first: the handlers return, and Close does not wait
	environ := []string{"SMTP2GO_API_KEY=api-x", "SMTP2GO_BASE_URL=" + hung.URL}
	for _, args := range [][]string{
		{"list", "--timeout", "300ms"},
		{"ensure", "--url", "https://example.com/x", "--events", "bounce", "--timeout", "300ms"},
	} {
		began := time.Now()
		r := cli(t, environ, "", args...)
		wantCode(t, r, exitAPI)
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("%s took %s with --timeout 300ms", args[0], took)
		}
		if want := args[0] + ": gave up after --timeout 300ms: smtp2go: webhook/view: "; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "\nRaise --timeout, or make it 0 for no limit.\n") {
			t.Errorf("%s: stderr %q, want %q", args[0], r.stderr, want)
		}
	}

	srv := smtp2gotest.NewServer(t)
	wantCode(t, against(t, srv, "list", "--timeout", "0"), 0)
}

// TestServersSayTheyExit0WhenStopped: listen and fake exit 0 when stopped
// (TestFakeCommandServesTheCLI and TestListenReceivesSendTestAndStopsOnCtrlC
// check it), and their help and the exit codes' rule say so.
func TestServersSayTheyExit0WhenStopped(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"listen", "fake"} {
		r := cli(t, nil, "", name, "--help")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "Runs until Ctrl-C (or SIGTERM), then") || !strings.Contains(r.stdout, "exits 0") {
			t.Errorf("%s --help does not say how it ends:\n%s", name, r.stdout)
		}
	}
	r := cli(t, nil, "", "--help")
	if !strings.Contains(r.stdout, "130 interrupted or declined (listen and fake, which run until\nstopped, exit 0 when stopped).") {
		t.Errorf("the exit codes' rule leaves out listen and fake:\n%s", r.stdout)
	}
}
