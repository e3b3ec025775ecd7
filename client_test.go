package smtp2go_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// TestNewClientFromEnv sets the environment (its last subtest), so it and its
// subtests are not parallel; the table goes through NewClientFromGetenv.
func TestNewClientFromEnv(t *testing.T) {
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"))
	hc := smtp2go.WithHTTPClient(&http.Client{Transport: api.mt})
	tests := []struct {
		name           string
		key, region    string
		base           string
		opts           []smtp2go.Option
		wantBase       string
		wantErrField   string // the ValidationError's field, for a failure
		wantErrAbsence string // a value the error must not show
	}{
		{name: "key only", key: testKey, wantBase: "https://api.smtp2go.com/v3/"},
		{name: "region", key: testKey, region: " EU ", wantBase: "https://eu-api.smtp2go.com/v3/"},
		{name: "blank region and base URL are unset", key: testKey, region: "  ", base: " \t", wantBase: "https://api.smtp2go.com/v3/"},
		{name: "a blank region leaves the base URL", key: testKey, region: " ", base: testBase, wantBase: testBase},
		{name: "base URL wins over region", key: testKey, region: "eu", base: testBase, wantBase: testBase},
		{name: "an option's region wins over the environment's base URL", key: testKey, base: testBase,
			opts: []smtp2go.Option{smtp2go.WithRegion(smtp2go.RegionAU)}, wantBase: "https://au-api.smtp2go.com/v3/"},
		{name: "an option's base URL wins over the environment's region", key: testKey, region: "us",
			opts: []smtp2go.Option{smtp2go.WithBaseURL("http://127.0.0.1:9/v3/")}, wantBase: "http://127.0.0.1:9/v3/"},
		{name: "an option's base URL leaves an invalid region variable unread", key: testKey, region: "mars",
			opts: []smtp2go.Option{smtp2go.WithBaseURL("http://127.0.0.1:9/v3/")}, wantBase: "http://127.0.0.1:9/v3/"},
		{name: "a base URL without a path gets /v3/", key: testKey, base: "http://127.0.0.1:8025", wantBase: "http://127.0.0.1:8025/v3/"},
		{name: "a base URL of / gets /v3/", key: testKey, base: "http://127.0.0.1:8025/", wantBase: "http://127.0.0.1:8025/v3/"},
		{name: "a base URL's own path is kept", key: testKey, base: "https://proxy.example/smtp2go", wantBase: "https://proxy.example/smtp2go/"},
		{name: "no key", wantErrField: "SMTP2GO_API_KEY"},
		{name: "key with a newline", key: testKey + "\n", wantErrField: "SMTP2GO_API_KEY", wantErrAbsence: testKey},
		{name: "unknown region", key: testKey, region: "mars", wantErrField: "SMTP2GO_REGION"},
		{name: "base URL with a password", key: testKey, base: "https://u:pw-secret@api.test/v3/", wantErrField: "SMTP2GO_BASE_URL", wantErrAbsence: "pw-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SMTP2GO_API_KEY": tt.key, "SMTP2GO_REGION": tt.region, "SMTP2GO_BASE_URL": tt.base}
			getenv := func(name string) string { return env[name] }
			c, err := smtp2go.NewClientFromGetenv(getenv, append([]smtp2go.Option{hc}, tt.opts...)...)
			if tt.wantErrField != "" {
				var ve *smtp2go.ValidationError
				if c != nil || !errors.As(err, &ve) || ve.Field != tt.wantErrField {
					t.Fatalf("NewClientFromGetenv = %v, %v; want a ValidationError for %s", c, err, tt.wantErrField)
				}
				noSecrets(t, "error", err.Error(), tt.wantErrAbsence)
				return
			}
			if err != nil || c.BaseURL() != tt.wantBase {
				t.Fatalf("NewClientFromGetenv = %v, %v; want base %s", c, err, tt.wantBase)
			}
		})
	}
	t.Run("a nil getenv", func(t *testing.T) {
		var ve *smtp2go.ValidationError
		if c, err := smtp2go.NewClientFromGetenv(nil); c != nil || !errors.As(err, &ve) || ve.Field != "getenv" {
			t.Fatalf("NewClientFromGetenv(nil) = %v, %v; want a ValidationError for getenv", c, err)
		}
	})
	// NewClientFromEnv reads the process's environment.
	t.Run("the key is sent", func(t *testing.T) {
		t.Setenv("SMTP2GO_API_KEY", testKey)
		t.Setenv("SMTP2GO_BASE_URL", testBase)
		c, err := smtp2go.NewClientFromEnv(hc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Webhooks.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		sent := api.requests("webhook/view")
		if got := sent[len(sent)-1].Header.Get("X-Smtp2go-Api-Key"); got != testKey {
			t.Errorf("the key from %s was not sent (got %d bytes)", "SMTP2GO_API_KEY", len(got))
		}
	})
}

func TestBasicAuthValue(t *testing.T) {
	t.Parallel()
	got := smtp2go.BasicAuthValue("smtp2go", "pa:ss wörd")
	raw, err := base64.StdEncoding.DecodeString(got.Reveal())
	if err != nil || string(raw) != "smtp2go:pa:ss wörd" {
		t.Errorf("BasicAuthValue = %q (%q, %v)", got, raw, err)
	}
	// What it builds is what Add accepts for basic auth.
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/h", AuthHeaderType: smtp2go.AuthBasic, AuthHeaderValue: got}
	if err := req.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestRetryWaitZeroMinimum: WithRetryWait(0, max) once waited max before
// every retry. With an hour as max, the test would hang if it still did.
func TestRetryWaitZeroMinimum(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 3})
	c := srv.Client(smtp2go.WithRetryWait(0, time.Hour))
	if _, err := c.Webhooks.List(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("sent %d requests, want 4", n)
	}
}

func TestLoggerLogsAttemptsWithoutSecrets(t *testing.T) {
	t.Parallel()
	const token = "tok-logged-never"
	api := newMockAPI(t)
	api.on("webhook/view",
		raw(503, "application/json", `{"request_id":"r-503"}`, nil),
		fixture(t, 200, "view_empty.json"),
		raw(200, "application/json", `{"request_id":"r-view","data":[{"id":4320,"url":"https://user:pw-logged-never@example.com/h","auth_header_type":"bearer","auth_header_value":"`+token+`"}]}`, nil))
	api.on("webhook/add", raw(200, "application/json", `{"request_id":"r-add","data":{"id":4320}}`, nil))
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := api.client(smtp2go.WithLogger(logger))
	res, err := c.Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{
		URL: "https://user:pw-logged-never@example.com/h", AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token,
	})
	if err != nil || res.Action != smtp2go.EnsureCreated {
		t.Fatalf("Ensure = %v, %v", res, err)
	}
	logger.Info("done", "response", res, "client", c)
	out := logged.String()
	noSecrets(t, "log", out, token)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`"level":"WARN","msg":"smtp2go: attempt","method":"POST","endpoint":"webhook/view"`,
		`"level":"DEBUG","msg":"smtp2go: attempt","method":"POST","endpoint":"webhook/view"`,
		`"level":"DEBUG","msg":"smtp2go: attempt","method":"POST","endpoint":"webhook/add"`,
		`"level":"DEBUG","msg":"smtp2go: attempt","method":"POST","endpoint":"webhook/view"`,
		`"level":"INFO","msg":"done"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) || (i < 4 && !strings.Contains(lines[i], `"duration"`)) {
			t.Errorf("line %d = %s\nwant it to contain %s and a duration", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], `"status":503`) || !strings.Contains(lines[1], `"status":200`) {
		t.Errorf("statuses not logged:\n%s", out)
	}
}
