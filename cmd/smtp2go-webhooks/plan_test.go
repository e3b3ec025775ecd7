package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// addWebhooks creates webhooks on the fake through the SDK.
func addWebhooks(t *testing.T, srv *smtp2gotest.Server, reqs ...smtp2go.AddWebhookRequest) []int64 {
	t.Helper()
	var ids []int64
	for _, req := range reqs {
		res, err := srv.Client().Webhooks.Add(t.Context(), &req)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Webhook.ID)
	}
	return ids
}

func events(e ...smtp2go.EventType) []smtp2go.EventType { return e }

// actions sums up a plan document: "action id url status" per change.
func actions(doc plan) string {
	var lines []string
	for _, c := range doc.Changes {
		id := "-"
		if c.ID != nil {
			id = fmt.Sprint(*c.ID)
		}
		lines = append(lines, strings.Join([]string{c.Action, id, c.URL, c.Status}, " "))
	}
	return strings.Join(lines, "\n")
}

func TestEnsurePlansThenActs(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	args := []string{"ensure", "--url", "https://example.com/ensure", "--events", "bounce,spam", "--usernames", "shop"}

	r := against(t, srv, append(args, "--dry-run")...)
	wantCode(t, r, 0)
	want := "  + create https://example.com/ensure\n      events:    bounce, spam\n      usernames: shop\n\nPlan: 1 to add, 0 to change, 0 to remove.\n\nDry run: nothing was changed.\n"
	if r.stdout != want || len(srv.Webhooks()) != 0 {
		t.Errorf("--dry-run printed:\n%s\nwant:\n%s", r.stdout, want)
	}

	r = against(t, srv, args...)
	wantCode(t, r, 0)
	if !strings.HasSuffix(r.stdout, "Plan: 1 to add, 0 to change, 0 to remove.\n\ncreated webhook 1001\n\nApply complete: 1 added, 0 changed, 0 removed.\n") {
		t.Errorf("ensure printed:\n%s", r.stdout)
	}
	for range 2 {
		r = against(t, srv, args...)
		wantCode(t, r, 0)
		if r.stdout != "No changes: webhook 1001 is set up as asked.\n" {
			t.Errorf("ensure again printed %q", r.stdout)
		}
	}

	r = against(t, srv, append(args, "--format", "json", "--output", "json")...)
	wantCode(t, r, 0)
	doc := decodeJSON[plan](t, r.stdout)
	if actions(doc) != "update 1001 https://example.com/ensure done" || doc.Webhook == nil || doc.Webhook.OutputFormat != "json" ||
		fmt.Sprint(doc.Changes[0].Fields) != "[{output_format form json}]" || doc.Summary != (summary{Change: 1}) {
		t.Errorf("ensure --output json: %+v", doc)
	}
	r = against(t, srv, append(args, "--format", "json", "--output", "json", "--dry-run")...)
	wantCode(t, r, 0)
	if doc := decodeJSON[plan](t, r.stdout); !doc.DryRun || len(doc.Changes) != 1 || doc.Changes[0].Action != "unchanged" || doc.Webhook == nil || doc.Webhook.ID != 1001 {
		t.Errorf("ensure --dry-run --output json, unchanged: %+v", doc)
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}
}

func TestDetailedExitCode(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	ensure := []string{"ensure", "--url", "https://example.com/d", "--events", "bounce", "--detailed-exitcode"}
	wantCode(t, against(t, srv, append(ensure, "--dry-run")...), exitChanges) // would create
	wantCode(t, against(t, srv, ensure...), exitChanges)                      // created
	wantCode(t, against(t, srv, ensure...), 0)                                // nothing to do
	wantCode(t, against(t, srv, append(ensure, "--events", "spam", "--dry-run")...), exitChanges)
	wantCode(t, against(t, srv, "ensure", "--url", "notaurl", "--detailed-exitcode"), exitAPI)         // a usage error is 1
	wantCode(t, against(t, srv, "ensure", "--url", "notaurl", "--detailed-exitcode=false"), exitUsage) // unless it is off
	wantCode(t, against(t, srv, "ensure", "--url", "notaurl", "--detailed-exitcode=false", "--detailed-exitcode=1"), exitAPI)
	wantCode(t, against(t, srv, "ensure", "--detailed-exitcode", "--bogus"), exitAPI)                 // even in the command line
	wantCode(t, against(t, srv, "apply", "-f", "-", "--detailed-exitcode", "--region", "x"), exitAPI) // or the input

	file := filepath.Join(t.TempDir(), "w.json")
	if err := os.WriteFile(file, []byte(`[{"url":"https://example.com/d","events":["bounce"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	wantCode(t, against(t, srv, "apply", "-f", file, "--detailed-exitcode"), 0)
	wantCode(t, against(t, srv, "apply", "-f", file, "--detailed-exitcode", "--prune", "--dry-run"), 0)
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/extra", Events: events(smtp2go.EventOpen)})
	r := against(t, srv, "apply", "-f", file, "--detailed-exitcode", "--prune", "--dry-run", "--output", "json")
	wantCode(t, r, exitChanges)
	if doc := decodeJSON[plan](t, r.stdout); doc.Summary != (summary{Remove: 1}) || r.stderr != "" {
		t.Errorf("plan %+v, stderr %q", doc, r.stderr)
	}
	wantCode(t, against(t, srv, "apply", "-f", file, "--detailed-exitcode", "--prune", "--yes"), exitChanges)
	wantCode(t, against(t, srv, "apply", "-f", file, "--detailed-exitcode", "--prune", "--yes"), 0)
}

func TestApply(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	ids := addWebhooks(t, srv,
		smtp2go.AddWebhookRequest{URL: "https://example.com/keep", Events: events(smtp2go.EventBounce)},
		smtp2go.AddWebhookRequest{URL: "https://example.com/change", Events: events(smtp2go.EventOpen)},
		smtp2go.AddWebhookRequest{URL: "https://example.com/extra", Events: events(smtp2go.EventClick)},
	)
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

	r := against(t, srv, "apply", "--file", file, "--prune", "--dry-run", "--output", "json")
	wantCode(t, r, 0)
	doc := decodeJSON[plan](t, r.stdout)
	want := fmt.Sprintf("unchanged %d https://example.com/keep unchanged\nupdate %d https://example.com/change planned\ncreate - https://example.com/new planned\nremove %d https://example.com/extra planned", ids[0], ids[1], ids[2])
	if !doc.DryRun || actions(doc) != want || doc.Summary != (summary{1, 1, 1}) {
		t.Errorf("dry-run plan:\n%s\nwant:\n%s", actions(doc), want)
	}
	if got := fmt.Sprint(doc.Changes[1].Fields, doc.Changes[2].Fields); got != "[{events open open, click} {output_format form json}] [{events  delivered} {headers  X-Customer-Id}]" {
		t.Errorf("fields: %s", got)
	}
	for _, req := range srv.Requests()[before:] {
		if req.Endpoint != "webhook/view" {
			t.Errorf("--dry-run sent %s", req.Endpoint)
		}
	}

	// Without --prune the extra webhook stays.
	r = against(t, srv, "apply", "-f", file)
	wantCode(t, r, 0)
	want = `  ~ update 1002 https://example.com/change
      events:        open -> open, click
      output_format: form -> json
  + create https://example.com/new
      events:  delivered
      headers: X-Customer-Id

Plan: 1 to add, 1 to change, 0 to remove.

updated webhook 1002
created webhook 1004

Apply complete: 1 added, 1 changed, 0 removed.
`
	if r.stdout != want {
		t.Errorf("apply printed:\n%s\nwant:\n%s", r.stdout, want)
	}
	// With --prune it goes, and a second run changes nothing.
	r = against(t, srv, "apply", "-f", file, "--prune", "--yes")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "  - remove 1003 https://example.com/extra (not in the file)\n") || !strings.HasSuffix(r.stdout, "removed webhook 1003\n\nApply complete: 0 added, 0 changed, 1 removed.\n") {
		t.Errorf("apply --prune printed:\n%s", r.stdout)
	}
	r = against(t, srv, "apply", "-f", file, "--prune", "--yes")
	wantCode(t, r, 0)
	if r.stdout != "No changes: the webhooks are set up as the file says.\n" {
		t.Errorf("apply again printed %q", r.stdout)
	}
	urls := []string{}
	for _, w := range srv.Webhooks() {
		urls = append(urls, w.URL)
	}
	if strings.Join(urls, " ") != "https://example.com/keep https://example.com/change https://example.com/new" {
		t.Errorf("webhooks after apply --prune: %v", urls)
	}
}

func TestAuthIsNeverDroppedByOmission(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	const token, rotated = "tok-kept-secret", "tok-rotated-secret"
	addWebhooks(t, srv,
		smtp2go.AddWebhookRequest{URL: "https://example.com/bearer", Events: events(smtp2go.EventBounce), AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token},
		smtp2go.AddWebhookRequest{URL: "https://example.com/basic", Events: events(smtp2go.EventBounce), AuthHeaderType: smtp2go.AuthBasic, AuthHeaderValue: smtp2go.BasicAuthValue("u", "p")},
	)
	environ := []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL, "NEW=" + rotated, "USERPASS=u:p2"}
	auth := func(i int) string {
		w := srv.Webhooks()[i]
		return string(w.AuthHeaderType) + " " + w.AuthHeaderValue.Reveal()
	}

	// ensure without auth flags changes the events and keeps the auth.
	r := cli(t, environ, "", "ensure", "--url", "https://example.com/bearer", "--events", "bounce,spam")
	wantCode(t, r, 0)
	if auth(0) != "bearer "+token || strings.Contains(r.stdout, "auth") {
		t.Errorf("ensure without --auth: the webhook has %q; printed:\n%s", auth(0), r.stdout)
	}
	// A value alone keeps the type; basic's user:pass is encoded.
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/bearer", "--events", "bounce,spam", "--auth-value-env", "NEW")
	wantCode(t, r, 0)
	if auth(0) != "bearer "+rotated || !strings.Contains(r.stdout, "auth_header_value: [redacted] -> [redacted]") {
		t.Errorf("ensure with a new value: the webhook has %q; printed:\n%s", auth(0), r.stdout)
	}
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/basic", "--events", "bounce", "--auth-value-env", "USERPASS")
	wantCode(t, r, 0)
	if auth(1) != "basic "+smtp2go.BasicAuthValue("u", "p2").Reveal() {
		t.Errorf("ensure with a new basic value: the webhook has %q", auth(1))
	}
	noSecret(t, r, "u:p2", smtp2go.BasicAuthValue("u", "p2").Reveal())
	// An entry of apply without auth keeps it too; "none" removes it, and
	// the plan says so.
	r = cli(t, environ, `[{"url":"https://example.com/bearer","events":["bounce"]},{"url":"https://example.com/basic","events":["bounce"],"auth_header_type":"none"}]`, "apply", "-f", "-")
	wantCode(t, r, 0)
	if auth(0) != "bearer "+rotated || auth(1) != " " {
		t.Errorf("after apply: %q and %q", auth(0), auth(1))
	}
	if !strings.Contains(r.stdout, "      auth_header_type:  basic -> (none)\n      auth_header_value: [redacted] -> (none)\n") {
		t.Errorf("apply printed:\n%s", r.stdout)
	}
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/bearer", "--events", "bounce", "--auth", "none")
	wantCode(t, r, 0)
	if auth(0) != " " || !strings.Contains(r.stdout, "auth_header_type:  bearer -> (none)") {
		t.Errorf("ensure --auth none: the webhook has %q; printed:\n%s", auth(0), r.stdout)
	}
	// A value alone for a webhook without auth says what is missing.
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/bearer", "--events", "bounce", "--auth-value-env", "NEW")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "has no auth type to keep: say bearer or basic") {
		t.Errorf("stderr: %s", r.stderr)
	}
	noSecret(t, r, token, rotated)
}

func TestAuthThatSMTP2GODoesNotShowCannotBeKept(t *testing.T) {
	t.Parallel()
	// SMTP2GO may withhold or mask the value: keeping it is then impossible,
	// and changing the webhook without saying what auth it should have is
	// refused rather than guessed.
	srv := smtp2gotest.NewServer(t)
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/h", Events: events(smtp2go.EventBounce), AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "tok"})
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 200, Body: `{"request_id":"r","data":[{"id":1001,"url":"https://example.com/h","events":["bounce"],"auth_header_type":"bearer","auth_header_value":"********"}]}`})
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL}, `[{"url":"https://example.com/h","events":["spam"]}]`, "apply", "-f", "-")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "-: entry 1: webhook 1001 has bearer auth whose value SMTP2GO does not show") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if w := srv.Webhooks()[0]; len(w.Events) != 1 || w.Events[0] != smtp2go.EventBounce {
		t.Errorf("the webhook was changed: %v", w)
	}
}

func TestAnAuthValueSMTP2GODoesNotShowIsKeptWithAHint(t *testing.T) {
	t.Parallel()
	// SMTP2GO may withhold or mask the value: Ensure counts the one given as
	// equal, and the CLI does what Ensure does, saying how to rotate it.
	srv := smtp2gotest.NewServer(t)
	const old = "tok-old-secret"
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/h", Events: events(smtp2go.EventBounce), AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: old})
	masked := func(events string) smtp2gotest.Fault {
		return smtp2gotest.Fault{Status: 200, Times: 1000, Body: `{"request_id":"r","data":[{"id":1001,"url":"https://example.com/h","events":` + events + `,"auth_header_type":"bearer","auth_header_value":"********"}]}`}
	}
	srv.Fail("webhook/view", masked(`["bounce"]`))
	const first, second, third = "tok-new-1", "tok-new-2", "tok-new-3"
	environ := []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL, "FIRST=" + first, "SECOND=" + second}
	value := func() string { return srv.Webhooks()[0].AuthHeaderValue.Reveal() }
	const hint = `SMTP2GO does not show the current auth value of webhook 1001, so it is kept; rotate it with "smtp2go-webhooks edit 1001 --auth-value-env VAR" (or --auth-value-file).` + "\n"

	args := []string{"ensure", "--url", "https://example.com/h", "--events", "bounce", "--auth-value-env", "FIRST"}
	r := cli(t, environ, "", append(args, "--detailed-exitcode")...)
	wantCode(t, r, 0)
	if want := "No changes: webhook 1001 is set up as asked.\n" + hint; r.stdout != want || value() != old {
		t.Errorf("printed:\n%s\nwant:\n%s", r.stdout, want)
	}
	for _, req := range srv.Requests() {
		if req.Endpoint == "webhook/edit" {
			t.Errorf("an edit was sent for a plan without changes")
		}
	}
	noSecret(t, r, old, first)

	// With another change, Ensure's edit sends the value given.
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/h", "--events", "bounce,spam", "--auth-value-env", "SECOND", "--output", "json")
	wantCode(t, r, 0)
	doc := decodeJSON[plan](t, r.stdout)
	if got := fmt.Sprint(doc.Changes[0].Fields); got != "[{events bounce bounce, spam}]" || doc.Changes[0].Hint != "" || value() != second {
		t.Errorf("fields %s, hint %q", got, doc.Changes[0].Hint)
	}
	noSecret(t, r, old, first, second)

	// An entry of apply that gives a value and changes nothing else is
	// unchanged, and its JSON carries the hint.
	srv.ClearFaults()
	srv.Fail("webhook/view", masked(`["bounce","spam"]`))
	r = cli(t, environ, `[{"url":"https://example.com/h","events":["bounce","spam"],"auth_header_value":"`+third+`"}]`, "apply", "-f", "-", "--output", "json")
	wantCode(t, r, 0)
	if doc := decodeJSON[plan](t, r.stdout); actions(doc) != "unchanged 1001 https://example.com/h unchanged" || doc.Changes[0].Hint+"\n" != hint || value() != second {
		t.Errorf("apply: %s, hint %q", actions(doc), doc.Changes[0].Hint)
	}
	noSecret(t, r, old, first, second, third)
}

func TestPlansShowDuplicates(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	same := smtp2go.AddWebhookRequest{URL: "https://example.com/dup", Events: events(smtp2go.EventBounce)}
	addWebhooks(t, srv, same, same, same)

	r := against(t, srv, "ensure", "--url", "https://example.com/dup", "--events", "bounce", "--dry-run")
	wantCode(t, r, 0)
	want := "  - remove 1002 https://example.com/dup (duplicate of 1001)\n  - remove 1003 https://example.com/dup (duplicate of 1001)\n\nPlan: 0 to add, 0 to change, 2 to remove.\n"
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("printed:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = against(t, srv, "ensure", "--url", "https://example.com/dup", "--events", "bounce", "--yes", "--output", "json")
	wantCode(t, r, 0)
	doc := decodeJSON[plan](t, r.stdout)
	if actions(doc) != "unchanged 1001 https://example.com/dup unchanged\nremove 1002 https://example.com/dup done\nremove 1003 https://example.com/dup done" || doc.Summary != (summary{Remove: 2}) {
		t.Errorf("plan:\n%s\n%+v", actions(doc), doc.Summary)
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}

	// Set up differently, they may be deliberate: nothing is done.
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/dup", Events: events(smtp2go.EventBounce), Usernames: []string{"other"}})
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL}, `[{"url":"https://example.com/dup","events":["spam"]}]`, "apply", "-f", "-")
	wantCode(t, r, exitAPI)
	if !strings.Contains(r.stderr, "has ids 1001, 1004, set up differently") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestApplyRemovesFirstAtTheWebhookLimit(t *testing.T) {
	t.Parallel()
	// A free plan has room for one webhook: replacing it works only if the
	// old one goes before the new one is created.
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(1))
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/old", Events: events(smtp2go.EventBounce)})
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, `[{"url":"https://example.com/new","events":["bounce"]}]`,
		"apply", "-f", "-", "--prune", "--yes", "--base-url", srv.URL)
	wantCode(t, r, 0)
	if w := srv.Webhooks(); len(w) != 1 || w[0].URL != "https://example.com/new" {
		t.Errorf("webhooks after apply: %v", w)
	}
}

func TestApplyReportsWhatWasDoneWhenAChangeFails(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	addWebhooks(t, srv,
		smtp2go.AddWebhookRequest{URL: "https://example.com/change", Events: events(smtp2go.EventBounce)},
		smtp2go.AddWebhookRequest{URL: "https://example.com/extra", Events: events(smtp2go.EventBounce)},
	)
	srv.Fail("webhook/edit", smtp2gotest.Fault{Status: 400, Body: `{"request_id":"req-edit-1","data":{"error":"refused","error_code":"E_ApiResponseCodes.API_EXCEPTION"}}`})
	file := `[{"url":"https://example.com/change","events":["spam"]},{"url":"https://example.com/new","events":["bounce"]}]`
	r := cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, file, "apply", "-f", "-", "--prune", "--yes", "--output", "json", "--base-url", srv.URL)
	wantCode(t, r, exitAPI)
	doc := decodeJSON[plan](t, r.stdout)
	want := "update 1001 https://example.com/change failed\ncreate - https://example.com/new not run\nremove 1002 https://example.com/extra done"
	if actions(doc) != want || doc.Summary != (summary{Remove: 1}) || !strings.Contains(doc.Changes[0].Error, "req-edit-1") {
		t.Errorf("changes:\n%s\nwant:\n%s\n%+v", actions(doc), want, doc)
	}
	e := decodeJSON[struct{ Error errorOut }](t, r.stderr).Error
	if e.Status == nil || *e.Status != 400 || e.Code == nil || *e.Code != "E_ApiResponseCodes.API_EXCEPTION" || e.RequestID == nil || *e.RequestID != "req-edit-1" {
		t.Errorf("stderr lacks status, code or request ID: %s", r.stderr)
	}

	// As text: the changes made, then the error.
	srv.Fail("webhook/add", smtp2gotest.Fault{Status: 400, Body: `{"request_id":"req-add-1","data":{"error":"refused","error_code":"E_ApiResponseCodes.API_EXCEPTION"}}`})
	r = cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, file, "apply", "-f", "-", "--base-url", srv.URL)
	wantCode(t, r, exitAPI)
	if !strings.HasSuffix(r.stdout, "\nupdated webhook 1001\n") || !strings.Contains(r.stderr, "smtp2go-webhooks apply: create https://example.com/new: smtp2go: webhook/add: 400") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// TestEnsureAndApplyActAtOnceOnTheWholeWebhook: what their help and the
// README say, that they act right after the plan, asking nothing, and that
// a setting left out is reset (auth aside).
func TestEnsureAndApplyActAtOnceOnTheWholeWebhook(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	addWebhooks(t, srv, smtp2go.AddWebhookRequest{URL: "https://example.com/whole", Events: events(smtp2go.EventBounce),
		Headers: []string{"X-Customer-Id"}, OutputFormat: smtp2go.OutputJSON})
	r := against(t, srv, "ensure", "--url", "https://example.com/whole", "--events", "bounce") // stdin is empty: nothing to answer a prompt
	wantCode(t, r, 0)
	want := "  ~ update 1001 https://example.com/whole\n      headers:       X-Customer-Id -> (none)\n      output_format: json -> form\n\n" +
		"Plan: 0 to add, 1 to change, 0 to remove.\n\nupdated webhook 1001\n\nApply complete: 0 added, 1 changed, 0 removed.\n"
	if r.stdout != want {
		t.Errorf("ensure printed:\n%s\nwant:\n%s", r.stdout, want)
	}
	if w := srv.Webhooks()[0]; w.OutputFormat != smtp2go.OutputForm || len(w.Headers) != 0 {
		t.Errorf("after ensure: %+v", w)
	}

	for _, name := range []string{"ensure", "apply"} {
		r := cli(t, nil, "", name, "--help")
		for _, says := range []string{name + " acts as soon as it has shown the plan, without asking", "--dry-run shows the plan and stops there",
			"the whole webhook wanted, not changes to it", "sets form"} {
			if !strings.Contains(strings.ReplaceAll(r.stdout, "\n", " "), says) {
				t.Errorf("%s --help does not say %q", name, says)
			}
		}
	}
}
