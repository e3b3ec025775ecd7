package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func TestListAddGetEditRemove(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)

	r := against(t, srv, "list")
	wantCode(t, r, 0)
	if strings.TrimSpace(r.stdout) != "No webhooks." {
		t.Errorf("list on an empty account: %q", r.stdout)
	}
	r = against(t, srv, "list", "--output", "json")
	wantCode(t, r, 0)
	if got := decodeJSON[listOut](t, r.stdout); got.Webhooks == nil || len(got.Webhooks) != 0 {
		t.Errorf("list --output json on an empty account: %q", r.stdout)
	}

	const token = "tok-cli-secret-1"
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey, "HOOK_TOKEN=" + token}, "", "add", "--base-url", srv.URL,
		"--url", "https://example.com/hook", "--events", "delivered,bounce", "--headers", "X-Customer-Id",
		"--format", "json", "--auth", "bearer", "--auth-value-env", "HOOK_TOKEN", "--output", "json")
	wantCode(t, r, 0)
	noSecret(t, r, token, srv.APIKey)
	added := decodeJSON[resultOut](t, r.stdout)
	if w := added.Webhook; added.Action != "created" || w.ID == 0 || w.URL != "https://example.com/hook" || strings.Join(w.Events, ",") != "delivered,bounce" ||
		w.OutputFormat != "json" || w.AuthHeaderType != "bearer" || w.AuthHeaderValue != "[redacted]" {
		t.Errorf("add printed %+v", added)
	}
	if stored := srv.Webhooks(); len(stored) != 1 || stored[0].AuthHeaderValue != token {
		t.Fatal("the fake did not store the webhook with its token")
	}
	id := fmt.Sprint(added.Webhook.ID)

	r = against(t, srv, "list")
	wantCode(t, r, 0)
	for _, want := range []string{"ID", "URL", "EVENTS", id, "https://example.com/hook", "delivered,bounce", "json", "bearer"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list table lacks %q:\n%s", want, r.stdout)
		}
	}
	noSecret(t, r, token)

	r = against(t, srv, "get", id, "--output", "json")
	wantCode(t, r, 0)
	if got := decodeJSON[resultOut](t, r.stdout); got.Action != "" || !reflect.DeepEqual(got.Webhook, added.Webhook) {
		t.Errorf("get printed %+v, want the webhook add printed", got)
	}
	r = against(t, srv, "get", id)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Auth:") || !strings.Contains(r.stdout, "bearer [redacted]") {
		t.Errorf("get table:\n%s", r.stdout)
	}
	noSecret(t, r, token)

	// edit changes only the fields given.
	r = against(t, srv, "edit", id, "--events", "delivered,bounce,spam", "--output", "json")
	wantCode(t, r, 0)
	if got := decodeJSON[resultOut](t, r.stdout); got.Action != "updated" || len(got.Webhook.Events) != 3 {
		t.Errorf("edit printed %+v", got)
	}
	w := srv.Webhooks()[0]
	if len(w.Events) != 3 || w.URL != "https://example.com/hook" || w.OutputFormat != smtp2go.OutputJSON ||
		w.AuthHeaderValue != token || len(w.Headers) != 1 {
		t.Errorf("after edit the fake holds %v", w)
	}
	noSecret(t, r, token)

	r = against(t, srv, "remove", id, "--yes", "--output", "json")
	wantCode(t, r, 0)
	if got := decodeJSON[resultOut](t, r.stdout); got.Action != "removed" || fmt.Sprint(got.Webhook.ID) != id || len(srv.Webhooks()) != 0 {
		t.Errorf("remove printed %+v, %d left", got, len(srv.Webhooks()))
	}
	noSecret(t, r, token)
}

func TestNotFoundExitsThree(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	for _, args := range [][]string{{"get", "999"}, {"edit", "999", "--events", "bounce"}, {"remove", "999", "--yes"}} {
		r := against(t, srv, args...)
		wantCode(t, r, exitNotFound)
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "999") {
			t.Errorf("%v: stderr %q, want one line naming the ID", args, r.stderr)
		}
	}
	for _, req := range srv.Requests() {
		if req.Endpoint != "webhook/view" {
			t.Errorf("sent %s for a missing ID", req.Endpoint)
		}
	}
}

func TestAddFromJSONDocumentedBody(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	// The body of SMTP2GO's documented cURL example, api_key included.
	body := `{"api_key": "api-DOCUMENTEDEXAMPLEKEY0000000000000", "url": "https://example.com/test-webhook", "events": ["processed"], "sms_events": ["sending"], "headers": ["X-Test-Header"], "usernames": ["MyUser1"], "output_format": "json"}`
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, body, "add", "--from-json", "-", "--base-url", srv.URL, "--output", "json")
	wantCode(t, r, 0)
	w := srv.Webhooks()
	if len(w) != 1 || w[0].URL != "https://example.com/test-webhook" || w[0].Usernames[0] != "MyUser1" || w[0].SMSEvents[0] != smtp2go.SMSSending {
		t.Fatalf("stored %v", w)
	}
	for _, req := range srv.Requests() {
		if bytes.Contains(req.Body, []byte("api_key")) || bytes.Contains(req.Body, []byte("DOCUMENTEDEXAMPLEKEY")) {
			t.Errorf("the file's api_key was sent in the %s body", req.Endpoint)
		}
	}
	// edit --from-json changes the fields the file has, and flags win; a
	// list may be a string, as SMTP2GO's examples write one.
	id := fmt.Sprint(w[0].ID)
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, `{"events": "delivered", "headers": []}`, "edit", id, "--from-json", "-", "--usernames", "", "--base-url", srv.URL)
	wantCode(t, r, 0)
	got := srv.Webhooks()[0]
	if len(got.Events) != 1 || got.Events[0] != smtp2go.EventDelivered || len(got.Headers) != 0 || len(got.Usernames) != 0 || got.OutputFormat != smtp2go.OutputJSON {
		t.Errorf("after edit: %v", got)
	}
}

func TestAddRefusesADuplicateURLAndNoEvents(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	add := []string{"add", "--url", "https://example.com/dup", "--events", "bounce"}
	wantCode(t, against(t, srv, add...), 0)

	r := against(t, srv, add...)
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "already has the URL") || !strings.Contains(r.stderr, "--allow-duplicate") {
		t.Errorf("stderr: %s", r.stderr)
	}
	wantCode(t, against(t, srv, append(add, "--allow-duplicate")...), 0)
	if n := len(srv.Webhooks()); n != 2 {
		t.Errorf("%d webhooks, want 2: the refused add and the allowed one", n)
	}

	r = against(t, srv, "add", "--url", "https://example.com/empty")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "no events") || !strings.Contains(r.stderr, "--allow-empty") {
		t.Errorf("stderr: %s", r.stderr)
	}
	wantCode(t, against(t, srv, "add", "--url", "https://example.com/empty", "--allow-empty"), 0)
	wantCode(t, against(t, srv, "add", "--url", "https://example.com/sms", "--sms-events", "sms_delivered,FAILED"), 0)
	if w := srv.Webhooks(); len(w) != 4 || fmt.Sprint(w[3].SMSEvents) != "[delivered failed]" {
		t.Errorf("webhooks %v", w)
	}
}

func TestCommandLineEdgeCases(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	added, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{
		URL: "https://example.com/basic", AuthHeaderType: smtp2go.AuthBasic, AuthHeaderValue: "dXNlcjpwYXNz"})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(added.Webhook.ID)
	key := "SMTP2GO_API_KEY=" + srv.APIKey
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests

	tests := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		code  int
	}{
		{"apply of null", []string{key}, "null", []string{"apply", "-f", "-", "--prune", "--base-url", srv.URL}, exitUsage},
		{"apply of an object", []string{key}, `{"url":"https://example.com/x"}`, []string{"apply", "-f", "-", "--base-url", srv.URL}, exitUsage},
		{"apply without a file", []string{key}, "", []string{"apply", "--base-url", srv.URL}, exitUsage},
		{"apply of a missing file", []string{key}, "", []string{"apply", "-f", filepath.Join(t.TempDir(), "none.json"), "--base-url", srv.URL}, exitUsage},
		{"edit with nothing to change", []string{key}, "", []string{"edit", id, "--base-url", srv.URL}, exitUsage},
		{"edit from a JSON of nulls", []string{key}, `{"events":null}`, []string{"edit", id, "--from-json", "-", "--base-url", srv.URL}, exitUsage},
		{"a 404 from the API is not a missing ID", []string{key}, "", []string{"list", "--base-url", strings.Replace(srv.URL, "/v3/", "/v2/", 1)}, exitAPI},
		{"listen on a path with a space", nil, "", []string{"listen", "--addr", "127.0.0.1:0", "--path", "/a b"}, exitUsage},
		{"listen with no body allowed", nil, "", []string{"listen", "--addr", "127.0.0.1:0", "--max-body-bytes", "0"}, exitUsage},
		{"listen on a port in use", nil, "", []string{"listen", "--addr", busy.Addr().String()}, exitAPI},
		{"fake on a port in use", nil, "", []string{"fake", "--addr", busy.Addr().String()}, exitAPI},
		{"send-test to a non-URL", nil, "", []string{"send-test", "--url", "notaurl"}, exitUsage},
		{"send-test to a closed port", nil, "", []string{"send-test", "--url", "http://127.0.0.1:1/webhook"}, exitAPI},
		{"a positional after --", []string{key}, "", []string{"get", "--base-url", srv.URL, "--", id}, exitOK},
		{"two IDs", []string{key}, "", []string{"get", id, id, "--base-url", srv.URL}, exitUsage},
		{"an argument to list", []string{key}, "", []string{"list", "extra", "--base-url", srv.URL}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tt.env, tt.stdin, tt.args...)
			wantCode(t, r, tt.code)
		})
	}

	// A new secret for a basic webhook is encoded as basic wants, even
	// without --auth.
	r := cli(t, []string{key, "PASS=alice:pw2"}, "", "edit", id, "--auth-value-env", "PASS", "--base-url", srv.URL)
	wantCode(t, r, 0)
	if got := srv.Webhooks()[0].AuthHeaderValue; got.Reveal() != base64.StdEncoding.EncodeToString([]byte("alice:pw2")) {
		t.Error("the basic value was not stored as base64 of user:pass")
	}
	noSecret(t, r, "alice:pw2", srv.Webhooks()[0].AuthHeaderValue.Reveal())

	r = cli(t, nil, "", "help", "apply")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Usage:\n  smtp2go-webhooks apply -f FILE") || !strings.Contains(r.stdout, "  -f, --file FILE") {
		t.Errorf("help apply:\n%s", r.stdout)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	r := cli(t, nil, "", "demo")
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "demo ok:") {
		t.Errorf("demo's last line: %q\n%s", last, r.stdout)
	}
	for _, want := range []string{"processed", "delivered", "open", "click", "bounce", "attempt 1", "500 Internal Server Error", "attempt 2", "200 OK", "0 webhooks left"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	r = cli(t, nil, "", "demo", "--output", "json")
	wantCode(t, r, 0)
	got := decodeJSON[struct {
		OK             bool  `json:"ok"`
		WebhookID      int64 `json:"webhook_id"`
		EventsReceived int   `json:"events_received"`
		Redeliveries   int   `json:"redeliveries"`
	}](t, r.stdout)
	if !got.OK || got.WebhookID == 0 || got.EventsReceived != 6 || got.Redeliveries != 1 {
		t.Errorf("demo --output json: %+v", got)
	}
}

func TestAddWhoseOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	// The add is carried out, and its answer lost: Add does not add again.
	srv.Fail("webhook/add", smtp2gotest.Fault{Status: 503, AfterProcessing: true})
	r := against(t, srv, "add", "--url", "https://example.com/lost", "--events", "bounce")
	wantCode(t, r, exitAPI)
	if !strings.Contains(r.stderr, "outcome unknown") || !strings.Contains(r.stderr, "webhooks set up as asked: 1001") || !strings.Contains(r.stderr, `"smtp2go-webhooks ensure" settles it`) {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = against(t, srv, "ensure", "--url", "https://example.com/lost", "--events", "bounce")
	wantCode(t, r, 0)
	if n := len(srv.Webhooks()); n != 1 || r.stdout != "No changes: webhook 1001 is set up as asked.\n" {
		t.Errorf("%d webhooks; ensure printed %q", n, r.stdout)
	}
}

// TestTriggerWorksOnlyAgainstTheFake: SMTP2GO, or anything but the fake,
// has no trigger endpoint, and trigger says so; the fake with no webhook
// subscribed delivers nothing and says that.
func TestTriggerWorksOnlyAgainstTheFake(t *testing.T) {
	t.Parallel()
	notFake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"data":{"error":"no such endpoint"}}`, http.StatusNotFound)
	}))
	t.Cleanup(notFake.Close)
	r := cli(t, []string{"SMTP2GO_API_KEY=api-x", "SMTP2GO_BASE_URL=" + notFake.URL}, "", "trigger", "bounce")
	wantCode(t, r, exitAPI)
	if !strings.Contains(r.stderr, "/v3/ is not the fake SMTP2GO (it answered 404 Not Found)\ntrigger works only against \"smtp2go-webhooks fake\"") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	srv := smtp2gotest.NewServer(t)
	r = against(t, srv, "trigger", "spam")
	wantCode(t, r, 0)
	if r.stdout != "No webhook subscribes to spam: nothing was delivered.\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	wantCode(t, against(t, srv, "trigger", "bounced"), exitUsage)
}
