package smtp2gotest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

var (
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	keyRE  = regexp.MustCompile(`^api-[A-Za-z0-9]{32}$`)
)

// permissionDenied is SMTP2GO's error code for a key that may not use an endpoint.
const permissionDenied = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"

// reply is a decoded answer of the fake.
type reply struct {
	Status    int
	Header    http.Header
	Raw       []byte
	RequestID string
	Data      json.RawMessage
}

// errorData is the data member of an error answer.
type errorData struct {
	Error       string `json:"error"`
	Code        string `json:"error_code"`
	FieldErrors *struct {
		Field   string `json:"fieldname"`
		Message string `json:"message"`
	} `json:"field_validation_errors"`
}

// post sends body to endpoint with the server's key in the header.
func post(t *testing.T, srv *smtp2gotest.Server, endpoint, body string) reply {
	t.Helper()
	return send(t, http.MethodPost, srv.URL+endpoint, body, http.Header{"X-Smtp2go-Api-Key": {srv.APIKey}})
}

func send(t *testing.T, method, url, body string, h http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var env struct {
		RequestID string          `json:"request_id"`
		Data      json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &env) == nil {
		r.RequestID, r.Data = env.RequestID, env.Data
	}
	return r
}

func (r reply) errorData(t *testing.T) errorData {
	t.Helper()
	var e errorData
	if err := json.Unmarshal(r.Data, &e); err != nil {
		t.Fatalf("error body %s: %v", r.Raw, err)
	}
	if e.Error == "" {
		t.Errorf("error body %s: no data.error", r.Raw)
	}
	return e
}

func (r reply) webhook(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Data, &m); err != nil {
		t.Fatalf("data %s: %v", r.Raw, err)
	}
	return m
}

func wantStatus(t *testing.T, r reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
	}
}

func TestNewServer(t *testing.T) {
	t.Parallel()
	a := smtp2gotest.NewServer(t)
	b := smtp2gotest.NewServer(t)
	if !strings.HasPrefix(a.URL, "http://127.0.0.1:") || !strings.HasSuffix(a.URL, "/v3/") {
		t.Errorf("URL = %q, want http://127.0.0.1:port/v3/", a.URL)
	}
	if !keyRE.MatchString(a.APIKey) {
		t.Errorf("APIKey = %q, want api- and 32 letters and digits", a.APIKey)
	}
	if a.APIKey == b.APIKey || a.URL == b.URL {
		t.Errorf("two servers share a key or URL: %q %q", a.APIKey, a.URL)
	}
	fixed := smtp2gotest.NewServer(t, smtp2gotest.WithAPIKey("test-key"), nil)
	if fixed.APIKey != "test-key" {
		t.Errorf("WithAPIKey: APIKey = %q", fixed.APIKey)
	}
	if got := smtp2gotest.NewServer(t, smtp2gotest.WithAPIKey("")).APIKey; !keyRE.MatchString(got) {
		t.Errorf("WithAPIKey(\"\"): APIKey = %q, want a generated one", got)
	}
}

func TestNewServerWithoutTest(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(nil)
	r := post(t, srv, "webhook/view", `{}`)
	wantStatus(t, r, http.StatusOK)
	srv.Close()
	srv.Close() // twice is fine
	if _, err := http.Post(srv.URL+"webhook/view", "application/json", strings.NewReader(`{}`)); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestAddAnswersEnvelope(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	r := post(t, srv, "webhook/add", `{"url":"https://example.com/hook?a=1&b=2","events":["delivered","bounce"]}`)
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !uuidV4.MatchString(r.RequestID) {
		t.Errorf("request_id = %q, want a UUID v4", r.RequestID)
	}
	want := `{"id":1001,"url":"https://example.com/hook?a=1&b=2","events":["delivered","bounce"],"sms_events":[],"headers":[],"usernames":[],"output_format":"form","auth_header_type":"","auth_header_value":""}`
	if string(r.Data) != want {
		t.Errorf("data =\n%s\nwant\n%s", r.Data, want)
	}
	second := post(t, srv, "webhook/add", `{"url":"https://example.com/2"}`)
	if id := second.webhook(t)["id"]; id != 1002.0 {
		t.Errorf("second id = %v, want 1002", id)
	}
	if second.RequestID == r.RequestID {
		t.Error("request_id repeated")
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   int
	}{
		{"header", http.Header{"X-Smtp2go-Api-Key": {srv.APIKey}}, `{}`, 200},
		{"header wrong", http.Header{"X-Smtp2go-Api-Key": {"api-wrong"}}, `{}`, 401},
		{"header wrong, body right", http.Header{"X-Smtp2go-Api-Key": {"api-wrong"}}, `{"api_key":"` + srv.APIKey + `"}`, 401},
		{"header empty", http.Header{"X-Smtp2go-Api-Key": {""}}, `{}`, 401},
		{"none", nil, `{}`, 401},
		{"none, bad JSON", nil, `{`, 401},
		{"bearer", http.Header{"Authorization": {"Bearer " + srv.APIKey}}, `{}`, 200},
		{"bearer lower case", http.Header{"Authorization": {"bearer " + srv.APIKey}}, `{}`, 200},
		{"bearer wrong", http.Header{"Authorization": {"Bearer api-wrong"}}, `{}`, 401},
		{"basic", http.Header{"Authorization": {"Basic " + srv.APIKey}}, `{}`, 401},
		{"body", nil, `{"api_key":"` + srv.APIKey + `"}`, 200},
		{"body wrong", nil, `{"api_key":"api-wrong"}`, 401},
		{"body not a string", nil, `{"api_key":42}`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, http.MethodPost, srv.URL+"webhook/view", tt.body, tt.header)
			wantStatus(t, r, tt.want)
			if tt.want == 401 {
				if e := r.errorData(t); e.Code != "" {
					t.Errorf("error_code = %q, want none (undocumented)", e.Code)
				}
				if !uuidV4.MatchString(r.RequestID) {
					t.Errorf("request_id = %q", r.RequestID)
				}
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	base := strings.TrimSuffix(srv.URL, "v3/")
	key := http.Header{"X-Smtp2go-Api-Key": {srv.APIKey}}
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"delete is not an endpoint", http.MethodPost, srv.URL + "webhook/delete", 404},
		{"email/send is not served", http.MethodPost, srv.URL + "email/send", 404},
		{"no v3 prefix", http.MethodPost, base + "webhook/view", 404},
		{"root", http.MethodGet, base, 404},
		{"GET", http.MethodGet, srv.URL + "webhook/view", 405},
		{"PUT", http.MethodPut, srv.URL + "webhook/add", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, tt.url, `{}`, key)
			wantStatus(t, r, tt.want)
			r.errorData(t)
			if tt.want == 405 && r.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", r.Header.Get("Allow"))
			}
		})
	}
}

func TestBody(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	tests := []struct {
		name, body string
		want       int
		code       string
	}{
		{"empty body is {}", ``, 200, ""},
		{"whitespace", " \n", 200, ""},
		{"malformed", `{"url":`, 400, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"},
		{"array", `[]`, 400, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"},
		{"string", `"x"`, 400, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"},
		{"trailing garbage", `{} x`, 400, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"},
		{"too large", `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"},
		{"just under 1 MB", `{"pad":"` + strings.Repeat("x", 1<<20-11) + `"}`, 200, ""},
		{"unknown members ignored", `{"color":"blue"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, srv, "webhook/view", tt.body)
			wantStatus(t, r, tt.want)
			if tt.want != 200 {
				if e := r.errorData(t); e.Code != tt.code {
					t.Errorf("error_code = %q, want %q", e.Code, tt.code)
				}
			}
		})
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	id := int(post(t, srv, "webhook/add", `{"url":"https://example.com/a"}`).webhook(t)["id"].(float64))
	const (
		nonValidating = "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
		invalid       = "E_ApiResponseCodes.INVALID_IN_PAYLOAD"
	)
	tests := []struct {
		name, endpoint, body string
		code, field          string
	}{
		{"add without url", "webhook/add", `{"events":["delivered"]}`, nonValidating, "url"},
		{"add with empty url", "webhook/add", `{"url":""}`, nonValidating, "url"},
		{"add with null url", "webhook/add", `{"url":null}`, nonValidating, "url"},
		{"url not a string", "webhook/add", `{"url":42}`, invalid, "url"},
		{"events not an array", "webhook/add", `{"url":"https://e.example/","events":"delivered"}`, invalid, "events"},
		{"events of numbers", "webhook/add", `{"url":"https://e.example/","events":[1]}`, invalid, "events"},
		{"headers not an array", "webhook/add", `{"url":"https://e.example/","headers":"X-A"}`, invalid, "headers"},
		{"usernames of objects", "webhook/add", `{"url":"https://e.example/","usernames":[{}]}`, invalid, "usernames"},
		{"output format xml", "webhook/add", `{"url":"https://e.example/","output_format":"xml"}`, invalid, "output_format"},
		{"output format not a string", "webhook/add", `{"url":"https://e.example/","output_format":1}`, invalid, "output_format"},
		{"auth type digest", "webhook/add", `{"url":"https://e.example/","auth_header_type":"digest","auth_header_value":"x"}`, invalid, "auth_header_type"},
		{"auth type not a string", "webhook/add", `{"url":"https://e.example/","auth_header_type":true}`, invalid, "auth_header_type"},
		{"value not a string", "webhook/add", `{"url":"https://e.example/","auth_header_type":"basic","auth_header_value":1}`, invalid, "auth_header_value"},
		{"subaccount not a string", "webhook/add", `{"url":"https://e.example/","subaccount_id":7}`, invalid, "subaccount_id"},
		{"edit without id", "webhook/edit", `{"url":"https://e.example/"}`, nonValidating, "id"},
		{"edit with string id", "webhook/edit", fmt.Sprintf(`{"id":"%d"}`, id), invalid, "id"},
		{"edit with float id", "webhook/edit", fmt.Sprintf(`{"id":%d.5}`, id), invalid, "id"},
		{"edit with exponent id", "webhook/edit", `{"id":1e3}`, invalid, "id"},
		{"edit unknown id", "webhook/edit", `{"id":999999}`, invalid, "id"},
		{"edit with bad url", "webhook/edit", fmt.Sprintf(`{"id":%d,"url":""}`, id), invalid, "url"},
		{"remove without id", "webhook/remove", `{}`, nonValidating, "id"},
		{"remove with null id", "webhook/remove", `{"id":null}`, nonValidating, "id"},
		{"remove with string id", "webhook/remove", fmt.Sprintf(`{"id":"%d"}`, id), invalid, "id"},
		{"remove unknown id", "webhook/remove", `{"id":5}`, invalid, "id"},
		{"remove in another account", "webhook/remove", fmt.Sprintf(`{"id":%d,"subaccount_id":"sub"}`, id), invalid, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, srv, tt.endpoint, tt.body)
			wantStatus(t, r, http.StatusBadRequest)
			e := r.errorData(t)
			if e.Code != tt.code {
				t.Errorf("error_code = %q, want %q", e.Code, tt.code)
			}
			if e.FieldErrors == nil || e.FieldErrors.Field != tt.field || e.FieldErrors.Message == "" {
				t.Errorf("field_validation_errors = %+v, want fieldname %q with a message; body %s", e.FieldErrors, tt.field, r.Raw)
			}
		})
	}
	if got := srv.Webhooks(); len(got) != 1 || got[0].URL != "https://example.com/a" || got[0].AuthHeaderType != "" {
		t.Errorf("failed requests changed the state: %v", got)
	}
}

func TestNotFoundMessage(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	e := post(t, srv, "webhook/edit", `{"id":4242}`).errorData(t)
	if !strings.Contains(strings.ToLower(e.Error), "webhook not found") || !strings.Contains(e.FieldErrors.Message, "4242") {
		t.Errorf("error = %+v, want webhook not found naming 4242", e)
	}
}

func TestEditKeepingOmitted(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithEditKeepingOmitted())
	created := post(t, srv, "webhook/add", `{"url":"https://example.com/a","events":["open","click"],"sms_events":["failed"],"headers":["X-Customer-Id"],"usernames":["api-user"],"output_format":"json","auth_header_type":"bearer","auth_header_value":"tok"}`)
	wantStatus(t, created, 200)
	id := int64(created.webhook(t)["id"].(float64))
	want := smtp2go.Webhook{
		ID: id, URL: "https://example.com/b", Events: []smtp2go.EventType{"open", "click"},
		SMSEvents: []smtp2go.SMSEventType{"failed"}, Headers: []string{"X-Customer-Id"}, Usernames: []string{"api-user"},
		OutputFormat: "json", AuthHeaderType: "bearer", AuthHeaderValue: "tok",
	}

	r := post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"url":"https://example.com/b","events":null}`, id))
	wantStatus(t, r, 200)
	if got := srv.Webhooks(); len(got) != 1 || !reflect.DeepEqual(got[0], want) || got[0].AuthHeaderValue != "tok" {
		t.Fatalf("after a partial edit: %v, want %v", got, want)
	}
	var echoed smtp2go.Webhook
	if err := json.Unmarshal(r.Data, &echoed); err != nil || !reflect.DeepEqual(echoed, want) {
		t.Errorf("edit answered %s, want %v", r.Data, want)
	}

	// Empty lists clear; a new auth type without a value keeps the value.
	wantStatus(t, post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"headers":[],"usernames":[],"output_format":"","auth_header_type":""}`, id)), 200)
	got := srv.Webhooks()[0]
	if len(got.Headers) != 0 || len(got.Usernames) != 0 || got.OutputFormat != "form" || got.AuthHeaderType != "" || got.AuthHeaderValue != "tok" {
		t.Errorf("after clearing: %+v", got)
	}
	// A new type with a value.
	wantStatus(t, post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"auth_header_type":"basic","auth_header_value":"dXNlcjpwYXNz"}`, id)), 200)
	if got := srv.Webhooks()[0]; got.AuthHeaderType != "basic" || got.AuthHeaderValue != "dXNlcjpwYXNz" {
		t.Errorf("after setting basic auth: %+v", got)
	}
	// A new value for the same type, stored as sent.
	wantStatus(t, post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"auth_header_value":"alice:pw"}`, id)), 200)
	if got := srv.Webhooks()[0]; got.AuthHeaderType != "basic" || got.AuthHeaderValue != "alice:pw" {
		t.Errorf("after rotating the value: %+v", got)
	}
}

func TestEditResetsOmitted(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	created := post(t, srv, "webhook/add", `{"url":"https://example.com/a","events":["open"],"sms_events":["failed"],"headers":["X-Customer-Id"],"usernames":["api-user"],"output_format":"json","auth_header_type":"bearer","auth_header_value":"tok"}`)
	id := int64(created.webhook(t)["id"].(float64))

	wantStatus(t, post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"events":["click"],"auth_header_value":null}`, id)), 200)
	got := srv.Webhooks()
	if len(got) != 1 || got[0].URL != "https://example.com/a" || len(got[0].Events) != 1 || got[0].Events[0] != "click" ||
		got[0].SMSEvents == nil || got[0].Headers == nil || got[0].Usernames == nil ||
		len(got[0].SMSEvents)+len(got[0].Headers)+len(got[0].Usernames) != 0 || got[0].OutputFormat != "form" ||
		got[0].AuthHeaderType != "" || got[0].AuthHeaderValue != "" {
		t.Errorf("after an edit of events only: %+v, want the URL kept, click, and every other field reset", got)
	}
}

// TestStoredAsSent shows that the fake applies no rule SMTP2GO does not
// document: values a client should not send are stored as sent, and event
// names SMTP2GO does not know are dropped, as it reportedly ignores them.
func TestStoredAsSent(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"ftp://example.com/a b","events":["delivered","opened"],"sms_events":["sms_delivered","failed"],"headers":["X-A,X-B"],"usernames":[" "],"auth_header_type":"bearer"}`), 200)
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"/hook","auth_header_value":"s3cret"}`), 200)
	got := srv.Webhooks()
	if len(got) != 2 {
		t.Fatalf("webhooks = %v, want 2", got)
	}
	if w := got[0]; w.URL != "ftp://example.com/a b" || fmt.Sprint(w.Events) != "[delivered]" || fmt.Sprint(w.SMSEvents) != "[failed]" ||
		fmt.Sprint(w.Headers) != "[X-A,X-B]" || fmt.Sprintf("%q", w.Usernames) != `[" "]` || w.AuthHeaderType != "bearer" || w.AuthHeaderValue != "" {
		t.Errorf("first webhook stored as %+v", w)
	}
	if w := got[1]; w.URL != "/hook" || w.AuthHeaderType != "" || w.AuthHeaderValue != "s3cret" {
		t.Errorf("second webhook stored as %+v", w)
	}
}

func TestMaskedAuthValues(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithMaskedAuthValues(), smtp2gotest.WithEditKeepingOmitted())
	added := post(t, srv, "webhook/add", `{"url":"https://example.com/a","auth_header_type":"bearer","auth_header_value":"s3cret-token"}`)
	wantStatus(t, added, 200)
	post(t, srv, "webhook/add", `{"url":"https://example.com/b"}`)
	id := int64(added.webhook(t)["id"].(float64))
	edited := post(t, srv, "webhook/edit", fmt.Sprintf(`{"id":%d,"url":"https://example.com/c"}`, id))
	for name, r := range map[string]reply{"add": added, "edit": edited, "view": post(t, srv, "webhook/view", `{}`)} {
		if strings.Contains(string(r.Raw), "s3cret") || !strings.Contains(string(r.Raw), `"auth_header_value":"********"`) {
			t.Errorf("%s answered %s, want the value masked", name, r.Raw)
		}
	}
	if view := post(t, srv, "webhook/view", `{}`); !strings.Contains(string(view.Raw), `"auth_header_value":""`) {
		t.Errorf("view answered %s, want the unset value empty", view.Raw)
	}
	if got := srv.Webhooks(); got[0].AuthHeaderValue != "s3cret-token" {
		t.Errorf("stored value %+v, want it kept in clear", got[0])
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	a := post(t, srv, "webhook/add", `{"url":"https://example.com/a"}`)
	post(t, srv, "webhook/add", `{"url":"https://example.com/b"}`)
	r := post(t, srv, "webhook/remove", `{"id":1001}`)
	wantStatus(t, r, 200)
	if !bytes.Equal(r.Data, a.Data) {
		t.Errorf("remove answered %s, want the removed webhook %s", r.Data, a.Data)
	}
	if got := srv.Webhooks(); len(got) != 1 || got[0].ID != 1002 {
		t.Errorf("after remove: %v", got)
	}
	wantStatus(t, post(t, srv, "webhook/remove", `{"id":1001}`), 400)
}

func TestSubaccounts(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(1))
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/sub","subaccount_id":"sub-1"}`), 200)
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/main","subaccount_id":""}`), 200)
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/other","subaccount_id":"sub-2"}`), 200)

	if got := srv.SubaccountWebhooks("sub-1"); len(got) != 1 || got[0].ID != 1001 || got[0].URL != "https://example.com/sub" {
		t.Errorf("sub-1: %v", got)
	}
	if got := srv.Webhooks(); len(got) != 1 || got[0].ID != 1002 {
		t.Errorf("main: %v, want only 1002 (IDs are global)", got)
	}
	if got := srv.SubaccountWebhooks("nobody"); len(got) != 0 {
		t.Errorf("unknown subaccount: %v", got)
	}

	view := post(t, srv, "webhook/view", `{"subaccount_id":"sub-2"}`)
	if !strings.Contains(string(view.Data), "/other") || strings.Contains(string(view.Data), "/main") {
		t.Errorf("view of sub-2: %s", view.Data)
	}
	wantStatus(t, post(t, srv, "webhook/edit", `{"id":1001,"url":"https://example.com/x"}`), 400)
	wantStatus(t, post(t, srv, "webhook/edit", `{"id":1001,"url":"https://example.com/x","subaccount_id":"sub-1"}`), 200)
	wantStatus(t, post(t, srv, "webhook/remove", `{"id":1001,"subaccount_id":"sub-1"}`), 200)
	if got := srv.SubaccountWebhooks("sub-1"); len(got) != 0 {
		t.Errorf("sub-1 after remove: %v", got)
	}
}

func TestWebhookLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []smtp2gotest.Option
		max  int // webhooks an account may have; 0: no limit seen within 15
	}{
		{"default", nil, smtp2gotest.DefaultWebhookLimit},
		{"free plan", []smtp2gotest.Option{smtp2gotest.WithWebhookLimit(1)}, 1},
		{"no limit", []smtp2gotest.Option{smtp2gotest.WithWebhookLimit(0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t, tt.opts...)
			for i := 1; i <= 15; i++ {
				r := post(t, srv, "webhook/add", fmt.Sprintf(`{"url":"https://example.com/%d"}`, i))
				if tt.max == 0 || i <= tt.max {
					wantStatus(t, r, 200)
					continue
				}
				wantStatus(t, r, 400)
				if e := r.errorData(t); e.Code != "E_ApiResponseCodes.API_EXCEPTION" || !strings.Contains(e.Error, "limit") {
					t.Errorf("over the limit: %s", r.Raw)
				}
				// A subaccount has its own limit; a removal makes room.
				wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/s","subaccount_id":"s"}`), 200)
				wantStatus(t, post(t, srv, "webhook/remove", `{"id":1001}`), 200)
				wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/again"}`), 200)
				return
			}
			if tt.max != 0 {
				t.Fatal("the limit was never reached")
			}
		})
	}
}

func TestDenyEndpoint(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.DenyEndpoint("webhook/add")
	r := post(t, srv, "webhook/add", `{"url":"https://example.com/a"}`)
	wantStatus(t, r, 400)
	e := r.errorData(t)
	if e.Code != permissionDenied || e.Error != "You do not have permission to access this API endpoint" {
		t.Errorf("denied: %s", r.Raw)
	}
	if len(srv.Webhooks()) != 0 {
		t.Error("a denied add created a webhook")
	}
	wantStatus(t, post(t, srv, "webhook/view", `{}`), 200)
	// The key is checked first.
	wantStatus(t, send(t, http.MethodPost, srv.URL+"webhook/add", `{}`, nil), 401)
	// Invalid JSON to a denied endpoint still answers the permission error.
	wantStatus(t, post(t, srv, "webhook/add", `{`), 400)

	srv.DenyEndpoint("*")
	if e := post(t, srv, "webhook/view", `{}`).errorData(t); e.Code != permissionDenied {
		t.Errorf("after DenyEndpoint(*), view: %+v", e)
	}
}

func TestViewShapes(t *testing.T) {
	t.Parallel()
	const (
		a = `{"id":1001,"url":"https://example.com/a","events":["delivered"],"sms_events":[],"headers":[],"usernames":[],"output_format":"form","auth_header_type":"","auth_header_value":""}`
		b = `{"id":1002,"url":"https://example.com/b","events":[],"sms_events":["sending"],"headers":[],"usernames":[],"output_format":"json","auth_header_type":"","auth_header_value":""}`
	)
	tests := []struct {
		shape             smtp2gotest.ViewShape
		none, one, twoOfs string
	}{
		{smtp2gotest.ViewArray, `[]`, `[` + a + `]`, `[` + a + `,` + b + `]`},
		{smtp2gotest.ViewObject, `{}`, a, a},
		{smtp2gotest.ViewWrapped, `{"webhooks":[]}`, `{"webhooks":[` + a + `]}`, `{"webhooks":[` + a + `,` + b + `]}`},
		{smtp2gotest.ViewShape(99), `[]`, `[` + a + `]`, `[` + a + `,` + b + `]`},
	}
	for _, tt := range tests {
		t.Run(tt.shape.String(), func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t, smtp2gotest.WithViewShape(tt.shape))
			view := func() string { return string(post(t, srv, "webhook/view", `{}`).Data) }
			if got := view(); got != tt.none {
				t.Errorf("none: %s, want %s", got, tt.none)
			}
			post(t, srv, "webhook/add", `{"url":"https://example.com/a","events":["delivered"]}`)
			if got := view(); got != tt.one {
				t.Errorf("one: %s, want %s", got, tt.one)
			}
			post(t, srv, "webhook/add", `{"url":"https://example.com/b","sms_events":["sending"],"output_format":"json"}`)
			if got := view(); got != tt.twoOfs {
				t.Errorf("two: %s, want %s", got, tt.twoOfs)
			}
		})
	}
}

func TestViewShapeString(t *testing.T) {
	t.Parallel()
	for shape, want := range map[smtp2gotest.ViewShape]string{
		smtp2gotest.ViewArray: "array", smtp2gotest.ViewObject: "object", smtp2gotest.ViewWrapped: "wrapped", 7: "ViewShape(7)",
	} {
		if got := shape.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(shape), got, want)
		}
	}
}

func TestStringLists(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithStringLists())
	tests := []struct {
		lists, headers, usernames string
	}{
		{`"headers":[],"usernames":[]`, `""`, `""`},
		{`"headers":["X-Test-Header"],"usernames":["MyUser1"]`, `"X-Test-Header"`, `"MyUser1"`},
		{`"headers":["X-A","X-B"],"usernames":["u1","u2","u3"]`, `"X-A,X-B"`, `"u1,u2,u3"`},
	}
	for _, tt := range tests {
		add := post(t, srv, "webhook/add", `{"url":"https://example.com/","events":["processed"],`+tt.lists+`}`)
		wantStatus(t, add, 200)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(add.Data, &m); err != nil {
			t.Fatal(err)
		}
		if string(m["headers"]) != tt.headers || string(m["usernames"]) != tt.usernames || string(m["events"]) != `["processed"]` {
			t.Errorf("%s: add answered %s", tt.lists, add.Data)
		}
	}
	view := post(t, srv, "webhook/view", `{}`)
	if !strings.Contains(string(view.Data), `"headers":"X-A,X-B","usernames":"u1,u2,u3"`) {
		t.Errorf("view: %s", view.Data)
	}
	edit := post(t, srv, "webhook/edit", `{"id":1001,"headers":["X-C"]}`)
	if !strings.Contains(string(edit.Data), `"headers":"X-C","usernames":""`) {
		t.Errorf("edit: %s", edit.Data)
	}
	// Requests must still send arrays; the stored state is lists.
	wantStatus(t, post(t, srv, "webhook/edit", `{"id":1001,"headers":"X-C"}`), 400)
	if got := srv.Webhooks()[2].Usernames; len(got) != 3 {
		t.Errorf("stored usernames = %q", got)
	}
}

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	post(t, srv, "webhook/add", `{"url":"https://example.com/a"}`)
	send(t, http.MethodPost, srv.URL+"webhook/view", `{"api_key": "`+srv.APIKey+`"}`, nil)
	send(t, http.MethodPost, srv.URL+"webhook/view", `{}`, http.Header{"Authorization": {"Bearer " + srv.APIKey}})
	send(t, http.MethodPost, srv.URL+"webhook/view", `{}`, http.Header{"Authorization": {"opaque"}})
	send(t, http.MethodGet, srv.URL+"nope", ``, nil)

	got := srv.Requests()
	if len(got) != 5 {
		t.Fatalf("%d requests recorded, want 5", len(got))
	}
	want := []struct {
		endpoint, method string
		status           int
		key, auth        string
	}{
		{"webhook/add", "POST", 200, "[redacted]", ""},
		{"webhook/view", "POST", 200, "", ""},
		{"webhook/view", "POST", 200, "", "Bearer [redacted]"},
		{"webhook/view", "POST", 401, "", "[redacted]"},
		{"nope", "GET", 404, "", ""},
	}
	for i, w := range want {
		r := got[i]
		if r.Endpoint != w.endpoint || r.Method != w.method || r.Status != w.status ||
			r.Header.Get("X-Smtp2go-Api-Key") != w.key || r.Header.Get("Authorization") != w.auth || r.Time.IsZero() || r.Fault != nil {
			t.Errorf("request %d = %+v, want %+v", i, r, w)
		}
		if bytes.Contains(r.Body, []byte(srv.APIKey)) {
			t.Errorf("request %d: body holds the API key: %s", i, r.Body)
		}
		for name, values := range r.Header {
			if strings.Contains(strings.Join(values, " "), srv.APIKey) {
				t.Errorf("request %d: header %s holds the API key", i, name)
			}
		}
	}
	if string(got[0].Body) != `{"url":"https://example.com/a"}` || string(got[1].Body) != `{"api_key": "[redacted]"}` {
		t.Errorf("bodies: %s, %s", got[0].Body, got[1].Body)
	}
	if !got[0].Time.Before(got[4].Time) && !got[0].Time.Equal(got[4].Time) {
		t.Error("requests out of order")
	}

	// Bodies that do not parse, or repeat api_key, are redacted all the same.
	for _, body := range []string{`{"api_key":"` + srv.APIKey + `",}`, `{"api_key":"` + srv.APIKey + `"} trailing`, `{"api_key":"` + srv.APIKey + `","api_key":"x"}`, `{"x":"` + srv.APIKey + `"}`} {
		resp, err := http.Post(srv.URL+"webhook/view", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i, r := range srv.Requests()[len(got):] {
		if bytes.Contains(r.Body, []byte(srv.APIKey)) {
			t.Errorf("odd body %d: the API key was recorded", i)
		}
	}

	// Requests and Webhooks return copies.
	got[0].Body[0] = 'X'
	got[0].Header.Set("Content-Type", "changed")
	if again := srv.Requests()[0]; again.Body[0] != '{' || again.Header.Get("Content-Type") != "application/json" {
		t.Error("changing the result of Requests changed the record")
	}
	hooks := srv.Webhooks()
	hooks[0].URL = "changed"
	hooks[0].Events = append(hooks[0].Events, "open")
	if again := srv.Webhooks()[0]; again.URL != "https://example.com/a" || len(again.Events) != 0 {
		t.Errorf("changing the result of Webhooks changed the state: %v", again)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t, smtp2gotest.WithWebhookLimit(0))
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 5})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Fail("webhook/remove", smtp2gotest.Fault{Status: 500})
			resp, err := http.Post(srv.URL+"webhook/add", "application/json",
				strings.NewReader(fmt.Sprintf(`{"api_key":%q,"url":"https://example.com/%d"}`, srv.APIKey, i)))
			if err == nil {
				resp.Body.Close()
			}
			_ = srv.Webhooks()
			_ = srv.Requests()
		}()
	}
	wg.Wait()
	hooks := srv.Webhooks()
	seen := map[int64]bool{}
	for _, w := range hooks {
		seen[w.ID] = true
	}
	if len(hooks) != 20 || len(seen) != 20 {
		t.Errorf("%d webhooks with %d distinct IDs, want 20", len(hooks), len(seen))
	}
}

func TestClientOptionsWin(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	client := srv.Client(smtp2go.WithBaseURL("http://127.0.0.1:1/v3/"))
	if client.BaseURL() != "http://127.0.0.1:1/v3/" {
		t.Errorf("BaseURL = %q: caller options should win", client.BaseURL())
	}
	if got := srv.Client().BaseURL(); got != srv.URL {
		t.Errorf("BaseURL = %q, want %q", got, srv.URL)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records instead of stopping.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }

func TestClientBadOptions(t *testing.T) {
	t.Parallel()
	rec := &fatalRecorder{TB: t}
	srv := smtp2gotest.NewServer(rec)
	if c := srv.Client(smtp2go.WithRetryMax(-1)); c != nil || !strings.Contains(rec.fatal, "retry max") {
		t.Errorf("Client with a bad option: client %v, Fatalf %q", c, rec.fatal)
	}

	bare := smtp2gotest.NewServer(nil)
	defer bare.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "smtp2gotest") {
			t.Errorf("recovered %v, want a panic naming smtp2gotest", r)
		}
	}()
	bare.Client(smtp2go.WithRetryMax(-1))
}
