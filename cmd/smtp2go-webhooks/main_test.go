package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// binary is the CLI built once for all tests: they run it as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "smtp2go-webhooks-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "smtp2go-webhooks")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// go test puts its own go command first on PATH.
	build := exec.Command("go", "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the CLI: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the CLI gave.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the binary with args, the environment given (and nothing of the
// test process's own, so no real key can leak in), and stdin.
func cli(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	// A command that should end but does not is killed, so the test fails
	// instead of hanging; the bound is far above any command's run time.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running the CLI: %v", err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// against runs the CLI against the fake server, authenticated.
func against(t *testing.T, srv *smtp2gotest.Server, args ...string) result {
	t.Helper()
	return cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, "", append(args, "--base-url", srv.URL)...)
}

// noSecret fails if output holds a secret; it never prints the secret.
func noSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("output contains secret #%d", i)
		}
	}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

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
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("list --output json on an empty account: %q", r.stdout)
	}

	const token = "tok-cli-secret-1"
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey, "HOOK_TOKEN=" + token}, "", "add", "--base-url", srv.URL,
		"--url", "https://example.com/hook", "--events", "delivered,bounce", "--headers", "X-Customer-Id",
		"--format", "json", "--auth", "bearer", "--auth-value-env", "HOOK_TOKEN", "--output", "json")
	wantCode(t, r, 0)
	noSecret(t, r, token, srv.APIKey)
	added := decodeJSON[webhookOut](t, r.stdout)
	if added.ID == 0 || added.URL != "https://example.com/hook" || strings.Join(added.Events, ",") != "delivered,bounce" ||
		added.OutputFormat != "json" || added.AuthHeaderType != "bearer" || added.AuthHeaderValue != masked {
		t.Errorf("add printed %+v", added)
	}
	if stored := srv.Webhooks(); len(stored) != 1 || stored[0].AuthHeaderValue != token {
		t.Fatal("the fake did not store the webhook with its token")
	}
	id := fmt.Sprint(added.ID)

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
	if got := decodeJSON[webhookOut](t, r.stdout); got.ID != added.ID || got.AuthHeaderValue != masked {
		t.Errorf("get printed %+v", got)
	}
	r = against(t, srv, "get", id)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Auth:") || !strings.Contains(r.stdout, "bearer "+masked) {
		t.Errorf("get table:\n%s", r.stdout)
	}
	noSecret(t, r, token)

	// edit changes only the fields given.
	r = against(t, srv, "edit", id, "--events", "delivered,bounce,spam")
	wantCode(t, r, 0)
	w := srv.Webhooks()[0]
	if len(w.Events) != 3 || w.URL != "https://example.com/hook" || w.OutputFormat != smtp2go.OutputJSON ||
		w.AuthHeaderValue != token || len(w.Headers) != 1 {
		t.Errorf("after edit the fake holds %v", w)
	}
	noSecret(t, r, token)

	r = against(t, srv, "remove", id)
	wantCode(t, r, 0)
	if strings.TrimSpace(r.stdout) != "removed webhook "+id || len(srv.Webhooks()) != 0 {
		t.Errorf("remove: %q, %d left", r.stdout, len(srv.Webhooks()))
	}
}

func TestNotFoundExitsThree(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	for _, args := range [][]string{{"get", "999"}, {"edit", "999", "--events", "bounce"}, {"remove", "999"}} {
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

func TestEnsureThreeTimes(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	args := []string{"ensure", "--url", "https://example.com/ensure", "--events", "bounce,spam", "--usernames", "shop"}
	var id string
	for i, want := range []string{"created", "unchanged", "unchanged"} {
		r := against(t, srv, args...)
		wantCode(t, r, 0)
		fields := strings.Fields(r.stdout)
		if len(fields) != 2 || fields[0] != want || (id != "" && fields[1] != id) {
			t.Fatalf("run %d printed %q, want %q and the same ID", i+1, r.stdout, want)
		}
		id = fields[1]
	}
	r := against(t, srv, append(args[:len(args):len(args)], "--format", "json", "--output", "json")...)
	wantCode(t, r, 0)
	got := decodeJSON[struct {
		Action  string     `json:"action"`
		Webhook webhookOut `json:"webhook"`
	}](t, r.stdout)
	if got.Action != "updated" || fmt.Sprint(got.Webhook.ID) != id || got.Webhook.OutputFormat != "json" {
		t.Errorf("ensure after a change printed %+v", got)
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
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
	// edit --from-json changes the fields the file has, and flags win.
	id := fmt.Sprint(w[0].ID)
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, `{"events": "delivered", "headers": []}`, "edit", id, "--from-json", "-", "--usernames", "", "--base-url", srv.URL)
	wantCode(t, r, 0)
	got := srv.Webhooks()[0]
	if len(got.Events) != 1 || got.Events[0] != smtp2go.EventDelivered || len(got.Headers) != 0 || len(got.Usernames) != 0 || got.OutputFormat != smtp2go.OutputJSON {
		t.Errorf("after edit: %v", got)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	ctx := t.Context()
	keep, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/keep", Events: []smtp2go.EventType{smtp2go.EventBounce}})
	if err != nil {
		t.Fatal(err)
	}
	change, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/change", Events: []smtp2go.EventType{smtp2go.EventOpen}})
	if err != nil {
		t.Fatal(err)
	}
	extra, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/extra", Events: []smtp2go.EventType{smtp2go.EventClick}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "webhooks.json")
	desired := `[
	  {"url": "https://example.com/keep", "events": ["bounce"]},
	  {"url": "https://example.com/change", "events": ["open", "click"], "output_format": "json"},
	  {"url": "https://example.com/new", "events": ["delivered"], "headers": "X-Customer-Id"}
	]`
	if err := os.WriteFile(file, []byte(desired), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())

	type plan struct {
		DryRun bool `json:"dry_run"`
		Steps  []struct {
			Action string `json:"action"`
			ID     int64  `json:"id"`
			URL    string `json:"url"`
		} `json:"steps"`
	}
	r := against(t, srv, "apply", "-f", file, "--prune", "--dry-run", "--output", "json")
	wantCode(t, r, 0)
	p := decodeJSON[plan](t, r.stdout)
	got := []string{}
	for _, s := range p.Steps {
		got = append(got, fmt.Sprintf("%s %d %s", s.Action, s.ID, s.URL))
	}
	want := []string{
		fmt.Sprintf("unchanged %d https://example.com/keep", keep.Webhook.ID),
		fmt.Sprintf("update %d https://example.com/change", change.Webhook.ID),
		"create 0 https://example.com/new",
		fmt.Sprintf("remove %d https://example.com/extra", extra.Webhook.ID),
	}
	if !p.DryRun || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dry-run plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, req := range srv.Requests()[before:] {
		if req.Endpoint != "webhook/view" {
			t.Errorf("--dry-run sent %s", req.Endpoint)
		}
	}

	// Without --prune the extra webhook stays.
	r = against(t, srv, "apply", "-f", file)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "1 created, 1 updated, 1 unchanged, 0 removed") {
		t.Errorf("apply printed:\n%s", r.stdout)
	}
	if n := len(srv.Webhooks()); n != 4 {
		t.Errorf("%d webhooks after apply, want 4", n)
	}
	// With --prune it goes, and a second run changes nothing.
	r = against(t, srv, "apply", "-f", file, "--prune")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "0 created, 0 updated, 3 unchanged, 1 removed") {
		t.Errorf("apply --prune printed:\n%s", r.stdout)
	}
	urls := []string{}
	for _, w := range srv.Webhooks() {
		urls = append(urls, w.URL)
		if w.URL == "https://example.com/change" && (w.OutputFormat != smtp2go.OutputJSON || len(w.Events) != 2) {
			t.Errorf("change was not updated: %v", w)
		}
	}
	if strings.Join(urls, " ") != "https://example.com/keep https://example.com/change https://example.com/new" {
		t.Errorf("webhooks after apply --prune: %v", urls)
	}
}

func TestApplyRejectsDuplicateURLsBeforeSending(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	file := filepath.Join(t.TempDir(), "dup.json")
	if err := os.WriteFile(file, []byte(`[{"url":"https://example.com/a","events":["bounce"]},{"url":"https://example.com/a","events":["spam"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := against(t, srv, "apply", "-f", file, "--prune")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "same url") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.DenyEndpoint("webhook/add")

	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr []string
	}{
		{"no key", nil, []string{"list"}, exitUsage, []string{"SMTP2GO_API_KEY"}},
		{"wrong key", []string{"SMTP2GO_API_KEY=api-WRONGWRONGWRONGWRONGWRONGWRONG12"}, []string{"list", "--base-url", srv.URL}, exitAPI, []string{"401"}},
		{"permission", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"add", "--url", "https://example.com/x", "--base-url", srv.URL}, exitAPI, []string{"400", "ENDPOINT_PERMISSION_DENIED", "request_id"}},
		{"validation", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"add", "--url", "https://example.com/x", "--events", "opened", "--base-url", srv.URL}, exitUsage, []string{"events[0]"}},
		{"no url", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"add", "--base-url", srv.URL}, exitUsage, []string{"--url"}},
		{"unknown flag", nil, []string{"list", "--bogus"}, exitUsage, []string{"-bogus", "Usage:"}},
		{"unknown command", nil, []string{"frobnicate"}, exitUsage, []string{"unknown command", "Commands:"}},
		{"no command", nil, nil, exitUsage, []string{"Commands:"}},
		{"bad id", nil, []string{"get", "12x"}, exitUsage, []string{"positive integer"}},
		{"bad output", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"list", "--output", "yaml", "--base-url", srv.URL}, exitUsage, []string{"--output"}},
		{"network", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"list", "--base-url", "http://127.0.0.1:1/v3/"}, exitAPI, []string{"webhook/view"}},
		{"secret as a missing env var", []string{"SMTP2GO_API_KEY=" + srv.APIKey}, []string{"add", "--url", "https://example.com/x", "--auth", "bearer", "--auth-value-env", "NOPE", "--base-url", srv.URL}, exitUsage, []string{"NOPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tt.env, "", tt.args...)
			wantCode(t, r, tt.code)
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			noSecret(t, r, srv.APIKey, "api-WRONGWRONGWRONGWRONGWRONGWRONG12")
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		r := cli(t, nil, "", c.name, "--help")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "Usage: smtp2go-webhooks "+c.name) || !strings.Contains(r.stdout, "Example:") {
			t.Errorf("%s --help:\n%s", c.name, r.stdout)
		}
	}
	r := cli(t, nil, "", "--help")
	wantCode(t, r, 0)
	r = cli(t, nil, "", "version")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, smtp2go.Version) {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestListenReceivesSendTest(t *testing.T) {
	t.Parallel()
	const token = "tok-listen-secret"
	listen := exec.Command(binary, "listen", "--addr", "127.0.0.1:0", "--path", "/hooks/smtp2go", "--bearer-env", "HOOK_TOKEN")
	listen.Env = []string{"HOOK_TOKEN=" + token}
	var stdout bytes.Buffer
	listen.Stdout = &stdout
	stderr, err := listen.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listen.Process.Kill() })

	// The listener logs its URL once it accepts connections.
	lines := make(chan string, 64)
	var logged bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	for url == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("listen exited early:\n%s", logged.String())
			}
			logged.WriteString(line + "\n")
			if _, after, found := strings.Cut(line, "url="); found && strings.Contains(line, "listening") {
				url = strings.Trim(after, `"`)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("listen did not report its address")
		}
	}

	r := cli(t, []string{"HOOK_TOKEN=" + token}, "", "send-test", "--url", url, "--event", "bounce", "--format", "json",
		"--auth", "bearer", "--auth-value-env", "HOOK_TOKEN", "--headers", "X-Customer-Id")
	wantCode(t, r, 0)
	noSecret(t, r, token)
	if !strings.Contains(r.stdout, "200 OK") {
		t.Errorf("send-test printed %q", r.stdout)
	}
	r = cli(t, []string{"HOOK_TOKEN=wrong-token"}, "", "send-test", "--url", url, "--event", "delivered", "--auth", "bearer", "--auth-value-env", "HOOK_TOKEN", "--output", "json")
	wantCode(t, r, exitAPI)
	if got := decodeJSON[map[string]any](t, r.stdout); got["status"] != float64(401) {
		t.Errorf("send-test with a wrong token printed %v", got)
	}

	if err := listen.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for line := range lines {
		logged.WriteString(line + "\n")
	}
	if err := listen.Wait(); err != nil {
		t.Fatalf("listen did not stop cleanly: %v\n%s", err, logged.String())
	}
	noSecret(t, result{stdout: stdout.String(), stderr: logged.String()}, token)
	events := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(events) != 1 {
		t.Fatalf("listen printed %d lines, want the one accepted event:\n%s", len(events), stdout.String())
	}
	ev := decodeJSON[eventOut](t, events[0])
	if ev.Type != smtp2go.EventBounce || ev.Bounce != webhook.BounceHard || len(ev.ID) != 32 || ev.Rcpt == "" || ev.Fields["X-Customer-Id"] == nil {
		t.Errorf("listen printed %+v", ev)
	}
	if !strings.Contains(logged.String(), "stopped") {
		t.Errorf("listen's log lacks the clean stop:\n%s", logged.String())
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
}

func TestApplyRemovesFirstAtTheWebhookLimit(t *testing.T) {
	t.Parallel()
	// A free plan has room for one webhook: replacing it works only if the
	// old one goes before the new one is created.
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(1))
	if _, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: "https://example.com/old"}); err != nil {
		t.Fatal(err)
	}
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, `[{"url":"https://example.com/new","events":["bounce"]}]`,
		"apply", "-f", "-", "--prune", "--base-url", srv.URL)
	wantCode(t, r, 0)
	if w := srv.Webhooks(); len(w) != 1 || w[0].URL != "https://example.com/new" {
		t.Errorf("webhooks after apply: %v", w)
	}
}

func TestApplyReportsWhatWasDoneWhenAStepFails(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client()
	for _, u := range []string{"https://example.com/change", "https://example.com/extra"} {
		if _, err := client.Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: u}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Fail("webhook/edit", smtp2gotest.Fault{Status: 400, Body: `{"request_id":"req-edit-1","data":{"error":"refused","error_code":"E_ApiResponseCodes.API_EXCEPTION"}}`})
	file := `[{"url":"https://example.com/change","events":["spam"]},{"url":"https://example.com/new","events":["bounce"]}]`
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, file, "apply", "-f", "-", "--prune", "--output", "json", "--base-url", srv.URL)
	wantCode(t, r, exitAPI)
	p := decodeJSON[struct {
		Steps []struct{ Action, URL, Status string } `json:"steps"`
	}](t, r.stdout)
	got := []string{}
	for _, s := range p.Steps {
		got = append(got, s.Action+" "+s.URL+" "+s.Status)
	}
	want := "update https://example.com/change failed|create https://example.com/new not run|remove https://example.com/extra done"
	if strings.Join(got, "|") != want {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
	if !strings.Contains(r.stderr, "400") || !strings.Contains(r.stderr, "API_EXCEPTION") || !strings.Contains(r.stderr, "req-edit-1") {
		t.Errorf("stderr lacks status, code or request ID: %s", r.stderr)
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
		{"edit with nothing to change", []string{key}, "", []string{"edit", id, "--base-url", srv.URL}, exitUsage},
		{"edit from a JSON of nulls", []string{key}, `{"events":null}`, []string{"edit", id, "--from-json", "-", "--base-url", srv.URL}, exitUsage},
		{"a 404 from the API is not a missing ID", []string{key}, "", []string{"list", "--base-url", strings.Replace(srv.URL, "/v3/", "/v2/", 1)}, exitAPI},
		{"listen on a path with a space", nil, "", []string{"listen", "--addr", "127.0.0.1:0", "--path", "/a b"}, exitUsage},
		{"listen with no body allowed", nil, "", []string{"listen", "--addr", "127.0.0.1:0", "--max-body-bytes", "0"}, exitUsage},
		{"listen on a port in use", nil, "", []string{"listen", "--addr", busy.Addr().String()}, exitAPI},
		{"send-test to a non-URL", nil, "", []string{"send-test", "--url", "notaurl"}, exitUsage},
		{"send-test to a closed port", nil, "", []string{"send-test", "--url", "http://127.0.0.1:1/webhook"}, exitAPI},
		{"a positional after --", []string{key}, "", []string{"get", "--base-url", srv.URL, "--", id}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tt.env, tt.stdin, tt.args...)
			wantCode(t, r, tt.code)
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("panicked:\n%s", r.stderr)
			}
		})
	}

	// A new secret for a basic webhook is encoded as basic wants, even
	// without --auth.
	r := cli(t, []string{key, "PASS=alice:pw2"}, "", "edit", id, "--auth-value-env", "PASS", "--base-url", srv.URL)
	wantCode(t, r, 0)
	if got := srv.Webhooks()[0].AuthHeaderValue; got != base64.StdEncoding.EncodeToString([]byte("alice:pw2")) {
		t.Error("the basic value was not stored as base64 of user:pass")
	}
	noSecret(t, r, "alice:pw2", srv.Webhooks()[0].AuthHeaderValue)

	r = cli(t, nil, "", "help", "apply")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Usage: smtp2go-webhooks apply") || !strings.Contains(r.stdout, "  -f FILE") {
		t.Errorf("help apply:\n%s", r.stdout)
	}
}
