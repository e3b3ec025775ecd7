package smtp2go_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
)

var documentedWebhook = smtp2go.Webhook{
	ID:           4320,
	URL:          "https://example.com/test-webhook",
	Events:       []smtp2go.EventType{smtp2go.EventProcessed},
	SMSEvents:    []smtp2go.SMSEventType{smtp2go.SMSSending},
	Headers:      []string{"X-Test-Header"},
	Usernames:    []string{"MyUser1"},
	OutputFormat: smtp2go.OutputJSON,
}

var documentedAdd = smtp2go.AddWebhookRequest{
	URL:          "https://example.com/test-webhook",
	Events:       []smtp2go.EventType{smtp2go.EventProcessed},
	SMSEvents:    []smtp2go.SMSEventType{smtp2go.SMSSending},
	Headers:      []string{"X-Test-Header"},
	Usernames:    []string{"MyUser1"},
	OutputFormat: smtp2go.OutputJSON,
}

func TestAddSendsDocumentedBodyAndDecodesDocumentedResponse(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/add", fixture(t, 200, "add_documented.json"))
	c := api.client(smtp2go.WithUserAgent("provisioner/2.1"))

	req := documentedAdd
	res, err := c.Webhooks.Add(context.Background(), &req)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if res.RequestID != "5b6c5cf6-9517-44fd-a273-9a62efb12e57" {
		t.Errorf("RequestID = %q", res.RequestID)
	}
	if !reflect.DeepEqual(res.Webhook, documentedWebhook) {
		t.Errorf("Webhook = %+v\nwant     %+v", res.Webhook, documentedWebhook)
	}

	sent := api.requests("webhook/add")
	if len(sent) != 1 {
		t.Fatalf("sent %d add requests, want 1", len(sent))
	}
	if got, want := string(sent[0].Body), golden(t, "add_request_documented.golden.json"); got != want {
		t.Errorf("body sent:\n%s\nwant:\n%s", got, want)
	}
	h := sent[0].Header
	for name, want := range map[string]string{
		"X-Smtp2go-Api-Key": testKey,
		"Content-Type":      "application/json",
		"Accept":            "application/json",
		"User-Agent":        "smtp2go-go/" + smtp2go.Version + " provisioner/2.1",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s is not as expected (len %d)", name, len(got))
		}
	}
	if h.Get("Authorization") != "" {
		t.Error("Authorization header sent; the key goes only in X-Smtp2go-Api-Key")
	}
	noSecrets(t, "request body", string(sent[0].Body))
}

func TestListShapes(t *testing.T) {
	t.Parallel()
	bearer := smtp2go.Webhook{
		ID: 4321, URL: "https://hooks.example.org/smtp2go",
		Events:       []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam},
		OutputFormat: smtp2go.OutputForm, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "tok-123",
	}
	arrayBearer := bearer
	arrayBearer.SMSEvents, arrayBearer.Headers, arrayBearer.Usernames = []smtp2go.SMSEventType{}, []string{}, []string{}
	stringLists := documentedWebhook
	stringLists.SMSEvents, stringLists.Usernames = nil, []string{}

	tests := []struct {
		fixture string
		want    []smtp2go.Webhook
	}{
		{"view_array.json", []smtp2go.Webhook{documentedWebhook, arrayBearer}},
		{"view_object.json", []smtp2go.Webhook{documentedWebhook}},
		{"view_wrapped.json", []smtp2go.Webhook{documentedWebhook, bearer}},
		{"view_empty.json", []smtp2go.Webhook{}},
		{"view_string_lists.json", []smtp2go.Webhook{stringLists}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", fixture(t, 200, tt.fixture))
			res, err := api.client().Webhooks.List(context.Background(), nil)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if res.RequestID == "" {
				t.Error("no RequestID")
			}
			if !reflect.DeepEqual([]smtp2go.Webhook(res.Webhooks), tt.want) {
				t.Errorf("Webhooks =\n%v\nwant\n%v", res.Webhooks, tt.want)
			}
			if got := string(api.requests("webhook/view")[0].Body); got != "{}" {
				t.Errorf("body sent = %s, want {}", got)
			}
		})
	}
}

func TestListSendsSubaccount(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"))
	if _, err := api.client().Webhooks.List(context.Background(), &smtp2go.ListWebhooksRequest{SubaccountID: "sa-42"}); err != nil {
		t.Fatal(err)
	}
	if got := string(api.requests("webhook/view")[0].Body); got != `{"subaccount_id":"sa-42"}` {
		t.Errorf("body sent = %s", got)
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_array.json"))
	c := api.client()

	w, err := c.Webhooks.Get(context.Background(), 4320, nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(*w, documentedWebhook) {
		t.Errorf("Get = %v", w)
	}
	_, err = c.Webhooks.Get(context.Background(), 99, &smtp2go.GetWebhookOptions{SubaccountID: "sa-1"})
	if !errors.Is(err, smtp2go.ErrNotFound) {
		t.Errorf("Get(99) error = %v, want ErrNotFound", err)
	}
	var nf *smtp2go.NotFoundError
	if !errors.As(err, &nf) || nf.ID != 99 || nf.RequestID != "aa2d5a46-8f0c-4c3e-9b7e-2a0c1c3f4b10" || !strings.Contains(err.Error(), "99") {
		t.Errorf("error %v is not a NotFoundError naming the ID and the view's request ID", err)
	}
	if _, err := c.Webhooks.Get(context.Background(), 0, nil); !errors.Is(err, smtp2go.ErrInvalidRequest) {
		t.Errorf("Get(0) error = %v, want ErrInvalidRequest", err)
	}
	if n := api.count("webhook/view"); n != 2 {
		t.Errorf("view called %d times, want 2 (none for the invalid ID)", n)
	}
}

func TestEditSendsFullStateOverlaidWithChanges(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_array.json"))
	api.on("webhook/edit", fixture(t, 200, "edit_documented.json"))

	res, err := api.client().Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{
		ID:     4320,
		URL:    smtp2go.Ptr("https://example.com/test-webhook-edited"),
		Events: []smtp2go.EventType{smtp2go.EventProcessed, smtp2go.EventDelivered},
	})
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	want := `{"id":4320,"url":"https://example.com/test-webhook-edited","events":["processed","delivered"],"sms_events":["sending"],"headers":["X-Test-Header"],"usernames":["MyUser1"],"output_format":"json","auth_header_type":"","auth_header_value":""}`
	if got := string(api.requests("webhook/edit")[0].Body); got != want {
		t.Errorf("edit body:\n%s\nwant:\n%s", got, want)
	}
	// The documented response, with its lists as strings.
	if res.RequestID != "7d1b3a4e-4b3f-4b8e-8f5e-0a8c2c7d9e21" || res.Webhook.URL != "https://example.com/test-webhook-edited" ||
		!reflect.DeepEqual(res.Webhook.Headers, []string{"X-Test-Header"}) || len(res.Webhook.Events) != 2 {
		t.Errorf("response not decoded from the documented example: %+v", res)
	}
}

func TestEditGolden(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_array.json"))
	// An echo of another webhook is not taken for this one's new state.
	api.on("webhook/edit", fixture(t, 200, "edit_documented.json"))
	res, err := api.client().Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{
		ID:     4321,
		Events: []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam, smtp2go.EventReject},
	})
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if got, want := string(api.requests("webhook/edit")[0].Body), golden(t, "edit_request_full_state.golden.json"); got != want {
		t.Errorf("edit body:\n%s\nwant:\n%s", got, want)
	}
	if res.Webhook.ID != 4321 || len(res.Webhook.Events) != 4 {
		t.Errorf("Webhook = %+v, want the state sent", res.Webhook)
	}
}

func TestEditFieldByField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  smtp2go.EditWebhookRequest
		want string // the edit body
	}{
		{
			name: "clear lists with empty slices, keep the rest",
			req:  smtp2go.EditWebhookRequest{ID: 4320, Headers: []string{}, Usernames: []string{}},
			want: `{"id":4320,"url":"https://example.com/test-webhook","events":["processed"],"sms_events":["sending"],"headers":[],"usernames":[],"output_format":"json","auth_header_type":"","auth_header_value":""}`,
		},
		{
			name: "url, format and new auth",
			req: smtp2go.EditWebhookRequest{
				ID: 4320, SubaccountID: "sa-9", URL: smtp2go.Ptr("https://example.com/v2"), OutputFormat: smtp2go.Ptr(smtp2go.OutputForm),
				AuthHeaderType: smtp2go.Ptr(smtp2go.AuthBasic), AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret("dXNlcjpwYXNz")),
			},
			want: `{"id":4320,"url":"https://example.com/v2","events":["processed"],"sms_events":["sending"],"headers":["X-Test-Header"],"usernames":["MyUser1"],"output_format":"form","auth_header_type":"basic","auth_header_value":"dXNlcjpwYXNz","subaccount_id":"sa-9"}`,
		},
		{
			name: "drop auth",
			req:  smtp2go.EditWebhookRequest{ID: 4321, AuthHeaderType: smtp2go.Ptr(smtp2go.AuthNone)},
			want: `{"id":4321,"url":"https://hooks.example.org/smtp2go","events":["delivered","bounce","spam"],"sms_events":[],"headers":[],"usernames":[],"output_format":"form","auth_header_type":"","auth_header_value":""}`,
		},
		{
			name: "sms events only",
			req:  smtp2go.EditWebhookRequest{ID: 4321, SMSEvents: []smtp2go.SMSEventType{smtp2go.SMSDelivered, smtp2go.SMSFailed}},
			want: `{"id":4321,"url":"https://hooks.example.org/smtp2go","events":["delivered","bounce","spam"],"sms_events":["delivered","failed"],"headers":[],"usernames":[],"output_format":"form","auth_header_type":"bearer","auth_header_value":"tok-123"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", fixture(t, 200, "view_array.json"))
			api.on("webhook/edit", raw(200, "application/json", `{"request_id":"r1"}`, nil))
			req := tt.req
			res, err := api.client().Webhooks.Edit(context.Background(), &req)
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if got := string(api.requests("webhook/edit")[0].Body); got != tt.want {
				t.Errorf("edit body:\n%s\nwant:\n%s", got, tt.want)
			}
			if res.Webhook.ID != tt.req.ID {
				t.Errorf("without data in the response, Webhook should be the state sent; got ID %d", res.Webhook.ID)
			}
		})
	}
}

func TestEditRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		req   *smtp2go.EditWebhookRequest
		is    error
		field string
	}{
		{"nil", nil, smtp2go.ErrInvalidRequest, "request"},
		{"zero id", &smtp2go.EditWebhookRequest{}, smtp2go.ErrInvalidRequest, "id"},
		{"missing id", &smtp2go.EditWebhookRequest{ID: 77}, smtp2go.ErrNotFound, ""},
		{"bad event", &smtp2go.EditWebhookRequest{ID: 4320, Events: []smtp2go.EventType{"opened"}}, smtp2go.ErrInvalidRequest, "events[0]"},
		{"new type without value", &smtp2go.EditWebhookRequest{ID: 4320, AuthHeaderType: smtp2go.Ptr(smtp2go.AuthBearer)}, smtp2go.ErrInvalidRequest, "auth_header_value"},
		{"value without type", &smtp2go.EditWebhookRequest{ID: 4320, AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret("s3cret-value"))}, smtp2go.ErrInvalidRequest, "auth_header_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", fixture(t, 200, "view_array.json"))
			api.on("webhook/edit", raw(200, "application/json", `{}`, nil))
			_, err := api.client().Webhooks.Edit(context.Background(), tt.req)
			if !errors.Is(err, tt.is) {
				t.Fatalf("error = %v, want %v", err, tt.is)
			}
			var ve *smtp2go.ValidationError
			if tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field) {
				t.Errorf("error %v does not name field %q", err, tt.field)
			}
			noSecrets(t, "error", err.Error(), "s3cret-value")
			if n := api.count("webhook/edit"); n != 0 {
				t.Errorf("edit sent %d times, want 0", n)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	t.Run("documented data", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/remove", fixture(t, 200, "remove_documented.json"))
		res, err := api.client().Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: 4320})
		if err != nil {
			t.Fatal(err)
		}
		if res.Webhook == nil || !reflect.DeepEqual(*res.Webhook, documentedWebhook) {
			t.Errorf("Webhook = %v", res.Webhook)
		}
		if got := string(api.requests("webhook/remove")[0].Body); got != `{"id":4320}` {
			t.Errorf("body = %s", got)
		}
	})
	t.Run("live: no data", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/remove", fixture(t, 200, "remove_no_data.json"))
		res, err := api.client().Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: 4320, SubaccountID: "sa-1"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Webhook != nil || res.RequestID != "1c9f0e7a-2b6d-4d0e-9a55-6e3f8b2d4c32" {
			t.Errorf("res = %+v", res)
		}
		if got := string(api.requests("webhook/remove")[0].Body); got != `{"id":4320,"subaccount_id":"sa-1"}` {
			t.Errorf("body = %s", got)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		c := api.client()
		for _, req := range []*smtp2go.RemoveWebhookRequest{nil, {ID: -1}} {
			if _, err := c.Webhooks.Remove(context.Background(), req); !errors.Is(err, smtp2go.ErrInvalidRequest) {
				t.Errorf("Remove(%v) error = %v", req, err)
			}
		}
		if n := api.count(""); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

func TestAddValidation(t *testing.T) {
	t.Parallel()
	valid := func(change func(r *smtp2go.AddWebhookRequest)) *smtp2go.AddWebhookRequest {
		r := &smtp2go.AddWebhookRequest{URL: "https://example.com/hook", Events: []smtp2go.EventType{smtp2go.EventBounce}}
		change(r)
		return r
	}
	tests := []struct {
		name  string
		req   *smtp2go.AddWebhookRequest
		field string
	}{
		{"nil", nil, "request"},
		{"no url", valid(func(r *smtp2go.AddWebhookRequest) { r.URL = "" }), "url"},
		{"relative url", valid(func(r *smtp2go.AddWebhookRequest) { r.URL = "/hook" }), "url"},
		{"ftp url", valid(func(r *smtp2go.AddWebhookRequest) { r.URL = "ftp://example.com/hook" }), "url"},
		{"url with space", valid(func(r *smtp2go.AddWebhookRequest) { r.URL = "https://example.com/a hook" }), "url"},
		{"unknown event", valid(func(r *smtp2go.AddWebhookRequest) { r.Events = append(r.Events, "opened") }), "events[1]"},
		{"unknown sms event", valid(func(r *smtp2go.AddWebhookRequest) { r.SMSEvents = []smtp2go.SMSEventType{"sms_delivered"} }), "sms_events[0]"},
		{"bad header", valid(func(r *smtp2go.AddWebhookRequest) { r.Headers = []string{"X-Ok", "Bad Header:"} }), "headers[1]"},
		{"blank username", valid(func(r *smtp2go.AddWebhookRequest) { r.Usernames = []string{" "} }), "usernames[0]"},
		{"bad format", valid(func(r *smtp2go.AddWebhookRequest) { r.OutputFormat = "xml" }), "output_format"},
		{"bad auth type", valid(func(r *smtp2go.AddWebhookRequest) { r.AuthHeaderType = "digest" }), "auth_header_type"},
		{"value without type", valid(func(r *smtp2go.AddWebhookRequest) { r.AuthHeaderValue = "s3cret-value" }), "auth_header_value"},
		{"bearer without value", valid(func(r *smtp2go.AddWebhookRequest) { r.AuthHeaderType = smtp2go.AuthBearer }), "auth_header_value"},
		{"basic value not base64 of user:pass", valid(func(r *smtp2go.AddWebhookRequest) {
			r.AuthHeaderType, r.AuthHeaderValue = smtp2go.AuthBasic, "s3cret-value"
		}), "auth_header_value"},
		{"basic value with an empty password (an unset variable)", valid(func(r *smtp2go.AddWebhookRequest) {
			r.AuthHeaderType, r.AuthHeaderValue = smtp2go.AuthBasic, smtp2go.BasicAuthValue("smtp2go", "")
		}), "auth_header_value"},
		{"value with newline", valid(func(r *smtp2go.AddWebhookRequest) {
			r.AuthHeaderType, r.AuthHeaderValue = smtp2go.AuthBearer, "s3cret-value\r\nX-Evil: 1"
		}), "auth_header_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			c := api.client()
			_, addErr := c.Webhooks.Add(context.Background(), tt.req)
			_, ensureErr := c.Webhooks.Ensure(context.Background(), tt.req)
			for _, err := range []error{addErr, ensureErr} {
				var ve *smtp2go.ValidationError
				if !errors.Is(err, smtp2go.ErrInvalidRequest) || !errors.As(err, &ve) || ve.Field != tt.field {
					t.Errorf("error = %v, want a ValidationError for %q", err, tt.field)
					continue
				}
				noSecrets(t, "error", err.Error(), "s3cret-value")
			}
			if n := api.count(""); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status      int
		fixture     string
		is          error
		code        string
		message     string
		fieldErrors []smtp2go.FieldError
		attempts    int
	}{
		{400, "error_permission_400.json", smtp2go.ErrForbidden, permissionDenied, "You do not have permission to access this API endpoint", nil, 1},
		{400, "error_field_object_400.json", smtp2go.ErrBadRequest, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD", "An error occurred processing the json data",
			[]smtp2go.FieldError{{Field: "url", Message: "This field is required"}}, 1},
		{400, "error_field_array_400.json", smtp2go.ErrBadRequest, "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD", "An error occurred processing the json data",
			[]smtp2go.FieldError{{Field: "url", Message: "This field is required"}, {Field: "events", Message: "Invalid value"}}, 1},
		{400, "error_field_map_400.json", smtp2go.ErrBadRequest, "E_ApiResponseCodes.INVALID_IN_PAYLOAD", "An error occurred processing the json data",
			[]smtp2go.FieldError{{Field: "events", Message: "Invalid value"}, {Field: "url", Message: "Enter a valid URL"}}, 1},
		{401, "error_unauthorized_401_top_level.json", smtp2go.ErrUnauthorized, "E_ApiResponseCodes.API_EXCEPTION", "Invalid API key", nil, 1},
		{402, "error_request_failed_402.json", smtp2go.ErrRequestFailed, "E_ApiResponseCodes.API_EXCEPTION", "The request failed", nil, 1},
		{403, "error_permission_403.json", smtp2go.ErrForbidden, permissionDenied, "You do not have permission to access this API endpoint", nil, 1},
		{404, "error_not_found_404.json", smtp2go.ErrNotFound, "E_ApiResponseCodes.API_EXCEPTION", "Not found", nil, 1},
		{429, "error_rate_limited_429.json", smtp2go.ErrRateLimited, "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED", "Too many requests", nil, 4},
		{500, "error_server_500.json", smtp2go.ErrServer, "E_ApiResponseCodes.API_EXCEPTION", "An unexpected error occurred", nil, 4},
		{502, "error_proxy_502.html", smtp2go.ErrServer, "", "", nil, 4},
		{503, "error_server_500.json", smtp2go.ErrServer, "E_ApiResponseCodes.API_EXCEPTION", "An unexpected error occurred", nil, 4},
		{504, "error_proxy_502.html", smtp2go.ErrServer, "", "", nil, 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.fixture), func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", fixture(t, tt.status, tt.fixture))
			_, err := api.client().Webhooks.List(context.Background(), nil)
			var apiErr *smtp2go.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %T %v, want *APIError", err, err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Message != tt.message || apiErr.Endpoint != "webhook/view" {
				t.Errorf("APIError = %+v", apiErr)
			}
			if !reflect.DeepEqual(apiErr.FieldErrors, tt.fieldErrors) {
				t.Errorf("FieldErrors = %+v, want %+v", apiErr.FieldErrors, tt.fieldErrors)
			}
			if apiErr.Attempts != tt.attempts || api.count("webhook/view") != tt.attempts {
				t.Errorf("Attempts = %d, sent %d, want %d", apiErr.Attempts, api.count("webhook/view"), tt.attempts)
			}
			if strings.HasSuffix(tt.fixture, ".json") && apiErr.RequestID == "" {
				t.Error("RequestID missing")
			}
			if strings.HasSuffix(tt.fixture, ".html") && !strings.Contains(apiErr.Body, "502 Bad Gateway") {
				t.Errorf("Body excerpt = %q", apiErr.Body)
			}
			if len(apiErr.Body) > 300 {
				t.Errorf("Body excerpt is %d bytes long", len(apiErr.Body))
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(tt.status)) || !strings.Contains(msg, "webhook/view") || (tt.code != "" && !strings.Contains(msg, tt.code)) {
				t.Errorf("Error() = %q lacks status, endpoint or code", msg)
			}
			noSecrets(t, "error", msg)
		})
	}
}

func TestUndecodableSuccessBodies(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"truncated", mustRead(t, "testdata/view_truncated.json")},
		{"empty", ""},
		{"html", "<html><body>Maintenance</body></html>"},
		{"wrong types", `{"request_id":"r","data":[{"id":"four","url":"https://x.example"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", raw(200, "application/json", tt.body, nil))
			_, err := api.client().Webhooks.List(context.Background(), nil)
			var apiErr *smtp2go.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 200 || errors.Unwrap(apiErr) == nil {
				t.Fatalf("error = %v, want an *APIError with status 200 wrapping the decode error", err)
			}
			if api.count("webhook/view") != 1 {
				t.Errorf("a 200 must not be retried; sent %d", api.count("webhook/view"))
			}
		})
	}
}

func TestErrorsNeverLeakTheKey(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	// A proxy echoing the request headers back in its error page.
	api.on("webhook/view", raw(400, "text/plain", "bad request; headers: X-Smtp2go-Api-Key: "+testKey, nil))
	api.on("webhook/add", raw(400, "application/json", `{"data":{"error":"key `+testKey+` is malformed","error_code":"E_ApiResponseCodes.API_EXCEPTION"}}`, nil))
	c := api.client()
	_, err1 := c.Webhooks.List(context.Background(), nil)
	_, err2 := c.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/x"})
	for _, err := range []error{err1, err2} {
		if err == nil {
			t.Fatal("want an error")
		}
		noSecrets(t, "error", err.Error())
		noSecrets(t, "error %+v", fmt.Sprintf("%+v", err))
	}
	noSecrets(t, "client %v", fmt.Sprintf("%v", c))
	noSecrets(t, "client %#v", fmt.Sprintf("%#v", c))
	noSecrets(t, "client %+v", fmt.Sprintf("%+v", c))
}

func TestSecretsRedactedWhenPrintedOrLogged(t *testing.T) {
	t.Parallel()
	const token = "tok-very-secret"
	w := smtp2go.Webhook{ID: 1, URL: "https://user:pw-secret@example.com/hook?key=q-secret", AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token,
		Usernames: []string{"smtp-user", "api-KEYSECRET0123456789"}}
	add := smtp2go.AddWebhookRequest{URL: w.URL, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token}
	edit := smtp2go.EditWebhookRequest{ID: 1, URL: &w.URL, AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret(token))}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("webhook", "w", w, "add", add)
	for what, s := range map[string]string{
		"Webhook %v": fmt.Sprintf("%v", w), "Webhook %+v": fmt.Sprintf("%+v", w), "[]Webhook": fmt.Sprint([]smtp2go.Webhook{w}),
		"Add %v": fmt.Sprintf("%v", add), "Edit %v": fmt.Sprintf("%v", edit), "slog": logged.String(),
	} {
		// A URL and usernames are plain strings: RedactURL shows them safely.
		noSecrets(t, what, s, token)
		if what != "Edit %v" && !strings.Contains(s, "example.com") {
			t.Errorf("%s lost the URL's host: %s", what, s)
		}
	}
}

func TestNoLoggerPrintsNothing(t *testing.T) {
	// Not parallel: it swaps os.Stderr and os.Stdout.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	api := newMockAPI(t)
	api.on("webhook/view", raw(503, "text/plain", "busy", nil), fixture(t, 200, "view_empty.json"))
	_, err = api.client().Webhooks.List(context.Background(), nil)
	os.Stdout, os.Stderr = stdout, stderr
	w.Close()
	printed, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(printed) != 0 {
		t.Errorf("library printed %q", printed)
	}
}

func TestRetryAfterIsHonouredButCapped(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view",
		raw(429, "application/json", `{"data":{"error_code":"E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"}}`, http.Header{"Retry-After": {"86400"}}),
		raw(429, "application/json", `{}`, nil),
		fixture(t, 200, "view_array.json"))
	// A day-long Retry-After is cut to the 2ms maximum wait; the test would
	// time out otherwise.
	res, err := api.client().Webhooks.List(context.Background(), nil)
	if err != nil || len(res.Webhooks) != 2 {
		t.Fatalf("List = %v, %v", res, err)
	}
	if n := api.count("webhook/view"); n != 3 {
		t.Errorf("sent %d, want 3", n)
	}
}

func TestRetriesExhaustedReturnsLastAPIError(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", raw(429, "application/json", `{"request_id":"last-429","data":{"error":"slow down","error_code":"E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"}}`, http.Header{"Retry-After": {"7"}}))
	_, err := api.client(smtp2go.WithRetryMax(2)).Webhooks.List(context.Background(), nil)
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v", err)
	}
	if apiErr.Attempts != 3 || apiErr.RequestID != "last-429" || apiErr.RetryAfter != 7*time.Second || !errors.Is(err, smtp2go.ErrRateLimited) {
		t.Errorf("APIError = %+v", apiErr)
	}
	if strings.Contains(err.Error(), "giving up") {
		t.Errorf("Error() = %q: want SMTP2GO's error, not retryablehttp's", err)
	}
}

func TestRetryMaxZeroDisablesRetries(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", raw(503, "text/plain", "", nil))
	_, err := api.client(smtp2go.WithRetryMax(0)).Webhooks.List(context.Background(), nil)
	if !errors.Is(err, smtp2go.ErrServer) || api.count("webhook/view") != 1 {
		t.Errorf("err = %v, sent %d", err, api.count("webhook/view"))
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

	t.Run("list retries and succeeds", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", httpmock.NewErrorResponder(reset), httpmock.NewErrorResponder(refused), fixture(t, 200, "view_array.json"))
		if _, err := api.client().Webhooks.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if n := api.count("webhook/view"); n != 3 {
			t.Errorf("sent %d, want 3", n)
		}
	})
	t.Run("exhausted gives a NetworkError", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", httpmock.NewErrorResponder(reset))
		_, err := api.client().Webhooks.List(context.Background(), nil)
		var netErr *smtp2go.NetworkError
		if !errors.As(err, &netErr) || netErr.Attempts != 4 || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("timeout per attempt", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		hang := func(req *http.Request) (*http.Response, error) {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		api.on("webhook/view", hang, fixture(t, 200, "view_array.json"))
		res, err := api.client(smtp2go.WithTimeout(20*time.Millisecond)).Webhooks.List(context.Background(), nil)
		if err != nil || len(res.Webhooks) != 2 {
			t.Fatalf("List = %v, %v", res, err)
		}
	})
}

func TestContext(t *testing.T) {
	t.Parallel()
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", fixture(t, 200, "view_array.json"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := api.client().Webhooks.List(ctx, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("cancelled during backoff", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		api.on("webhook/view", func(req *http.Request) (*http.Response, error) {
			defer cancel() // the caller gives up once the first attempt failed
			return raw(503, "text/plain", "", nil)(req)
		})
		_, err := api.client(smtp2go.WithRetryWait(time.Hour, time.Hour)).Webhooks.List(ctx, nil)
		var apiErr *smtp2go.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 1 {
			t.Errorf("error = %v, want the 503 of the one attempt", err)
		}
		if n := api.count("webhook/view"); n != 1 {
			t.Errorf("sent %d, want 1", n)
		}
	})
	t.Run("a 503 whose retry would outlast the deadline", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		api.on("webhook/view", raw(503, "application/json", `{"request_id":"r503","data":{"error":"overloaded"}}`, nil))
		_, err := api.client(smtp2go.WithRetryWait(time.Hour, time.Hour)).Webhooks.List(ctx, nil)
		if !errors.Is(err, smtp2go.ErrServer) || !strings.Contains(err.Error(), "r503") || api.count("webhook/view") != 1 {
			t.Errorf("error = %v after %d attempts, want the 503 of one", err, api.count("webhook/view"))
		}
	})
	t.Run("a transport error whose retry would outlast the deadline", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		api.on("webhook/view", httpmock.NewErrorResponder(errors.New("connection reset by peer")))
		_, err := api.client(smtp2go.WithRetryWait(time.Hour, time.Hour)).Webhooks.List(ctx, nil)
		var netErr *smtp2go.NetworkError
		if !errors.As(err, &netErr) || !strings.Contains(netErr.Error(), "connection reset") || api.count("webhook/view") != 1 {
			t.Errorf("error = %v, want the reset of one attempt", err)
		}
	})
	t.Run("cancelled during an attempt", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		ctx, cancel := context.WithCancel(context.Background())
		api.on("webhook/view", func(req *http.Request) (*http.Response, error) {
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		_, err := api.client().Webhooks.List(ctx, nil)
		var netErr *smtp2go.NetworkError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &netErr) || netErr.Attempts != 1 {
			t.Errorf("error = %v, want a *NetworkError that is context.Canceled", err)
		}
	})
}

func TestNewClient(t *testing.T) {
	t.Run("no key", func(t *testing.T) {
		// Not parallel: it sets the environment, which NewClient must not read.
		t.Setenv("SMTP2GO_API_KEY", testKey)
		c, err := smtp2go.NewClient("")
		if c != nil || !errors.Is(err, smtp2go.ErrInvalidRequest) || !strings.Contains(err.Error(), "NewClientFromEnv") {
			t.Errorf("NewClient(\"\") = %v, %v; want an error pointing to NewClientFromEnv", c, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			key  string
			opt  smtp2go.Option
		}{
			{"key with newline", testKey + "\n", nil},
			{"relative base", testKey, smtp2go.WithBaseURL("api.test/v3")},
			{"base with password", testKey, smtp2go.WithBaseURL("https://u:pw-secret@api.test/v3/")},
			{"base with query", testKey, smtp2go.WithBaseURL("https://api.test/v3/?x=1")},
			{"unknown region", testKey, smtp2go.WithRegion("mars")},
			{"nil http client", testKey, smtp2go.WithHTTPClient(nil)},
			{"negative retries", testKey, smtp2go.WithRetryMax(-1)},
			{"min over max", testKey, smtp2go.WithRetryWait(time.Second, time.Millisecond)},
			{"zero timeout", testKey, smtp2go.WithTimeout(0)},
			{"user agent with newline", testKey, smtp2go.WithUserAgent("a\r\nX-Evil: 1")},
		}
		for _, tt := range tests {
			c, err := smtp2go.NewClient(tt.key, tt.opt)
			var ve *smtp2go.ValidationError
			if c != nil || !errors.As(err, &ve) || !errors.Is(err, smtp2go.ErrInvalidRequest) {
				t.Errorf("%s: NewClient = %v, %v; want a *ValidationError", tt.name, c, err)
				continue
			}
			noSecrets(t, tt.name, err.Error(), "pw-secret")
		}
	})
	t.Run("regions", func(t *testing.T) {
		t.Parallel()
		for region, want := range map[smtp2go.Region]string{
			smtp2go.RegionGlobal: "https://api.smtp2go.com/v3/",
			smtp2go.RegionUS:     "https://us-api.smtp2go.com/v3/",
			smtp2go.RegionEU:     "https://eu-api.smtp2go.com/v3/",
			smtp2go.RegionAU:     "https://au-api.smtp2go.com/v3/",
		} {
			api := newMockAPI(t)
			api.onURL(want+"webhook/view", fixture(t, 200, "view_empty.json"))
			c, err := smtp2go.NewClient(testKey, smtp2go.WithRegion(region), smtp2go.WithHTTPClient(&http.Client{Transport: api.mt}))
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != want {
				t.Errorf("%s: BaseURL = %s", region, c.BaseURL())
			}
			if _, err := c.Webhooks.List(context.Background(), nil); err != nil {
				t.Errorf("%s: %v", region, err)
			}
		}
	})
	t.Run("base URL without trailing slash", func(t *testing.T) {
		t.Parallel()
		c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL("http://127.0.0.1:8080/v3"))
		if err != nil || c.BaseURL() != "http://127.0.0.1:8080/v3/" {
			t.Errorf("BaseURL = %v, %v", c, err)
		}
	})
}

func TestWithHTTPClientIsNotModified(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"))
	hc := &http.Client{Transport: api.mt}
	before := *hc
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(testBase), smtp2go.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Webhooks.List(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != before.Transport || hc.Timeout != before.Timeout || hc.Jar != before.Jar {
		t.Error("the caller's *http.Client was modified")
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	// Another host, which must never see the key.
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Smtp2go-Api-Key") != "" {
			leaked.Store(true)
		}
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c, err := smtp2go.NewClient(testKey, smtp2go.WithBaseURL(api.URL+"/v3/"), smtp2go.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Webhooks.List(context.Background(), nil)
	var apiErr *smtp2go.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("error = %v, want an *APIError with status 307", err)
	}
	if leaked.Load() {
		t.Error("the API key was sent to the host the redirect pointed at")
	}
}

func TestErrorsNeverHoldTheRequestsSecrets(t *testing.T) {
	t.Parallel()
	const token, password, query = "tok-secret-9876", "pw-secret-5432", "q-secret-1111"
	hookURL := "https://user:" + password + "@example.com/hook?key=" + query
	api := newMockAPI(t)
	// SMTP2GO echoing what it was sent, in its message and field errors.
	api.on("webhook/add", raw(400, "application/json", `{"request_id":"r","data":{"error":"invalid url `+hookURL+` with token `+token+`","error_code":"E_ApiResponseCodes.INVALID_IN_PAYLOAD","field_validation_errors":{"fieldname":"url","message":"`+hookURL+`"}}}`, nil))
	api.on("webhook/view", raw(200, "application/json", `{"request_id":"r","data":[{"id":1,"url":"`+hookURL+`","auth_header_value":"`+token+`","events":"open"`, nil))
	c := api.client()
	_, addErr := c.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: hookURL, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token})
	_, listErr := c.Webhooks.List(context.Background(), nil)
	for _, err := range []error{addErr, listErr} {
		if err == nil {
			t.Fatal("want an error")
		}
		noSecrets(t, "error", fmt.Sprintf("%v %+v %#v", err, err, err), token, password, query)
	}
}

func TestRetryAfterPastTheDeadlineGivesThe429(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", raw(429, "application/json", `{"request_id":"r429","data":{"error_code":"E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"}}`, http.Header{"Retry-After": {"30"}}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := api.client(smtp2go.WithRetryWait(time.Millisecond, time.Minute)).Webhooks.List(ctx, nil)
	if !errors.Is(err, smtp2go.ErrRateLimited) {
		t.Errorf("error = %v, want the 429 rather than a deadline error", err)
	}
	if n := api.count("webhook/view"); n != 1 {
		t.Errorf("sent %d, want 1: the wait would outlast the deadline", n)
	}
}

func TestBaseURLWinsOverRegionInAnyOrder(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]smtp2go.Option{
		{smtp2go.WithBaseURL(testBase), smtp2go.WithRegion(smtp2go.RegionEU)},
		{smtp2go.WithRegion(smtp2go.RegionEU), smtp2go.WithBaseURL(testBase)},
	} {
		c, err := smtp2go.NewClient(testKey, opts...)
		if err != nil || c.BaseURL() != testBase {
			t.Errorf("BaseURL = %q, %v; want the explicit one", c.BaseURL(), err)
		}
	}
}

func TestZeroValuesFailCleanly(t *testing.T) {
	t.Parallel()
	var c smtp2go.Client
	if c.BaseURL() != "" {
		t.Errorf("zero Client: BaseURL %q", c.BaseURL())
	}
	ctx := context.Background()
	var svc *smtp2go.WebhooksService
	for _, call := range []func() error{
		func() error { _, err := c.Webhooks.List(ctx, nil); return err },
		func() error {
			_, err := svc.Add(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/a"})
			return err
		},
		func() error {
			_, err := (&smtp2go.WebhooksService{}).Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: 1})
			return err
		},
		func() error {
			_, err := svc.Ensure(ctx, &smtp2go.AddWebhookRequest{URL: "https://example.com/a"})
			return err
		},
		func() error { _, err := svc.Get(ctx, 1, nil); return err },
		func() error { _, err := svc.Edit(ctx, &smtp2go.EditWebhookRequest{ID: 1}); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "NewClient") {
			t.Errorf("error = %v, want one saying to use NewClient", err)
		}
	}
	if (&smtp2go.NetworkError{}).Error() == "" {
		t.Error("zero NetworkError has no message")
	}
}

func TestEditToleratesTheServersState(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	// An event this SDK does not know, a format in capitals, and a masked
	// secret: none of them the caller's doing.
	api.on("webhook/view", raw(200, "application/json", `{"request_id":"r","data":[{"id":5,"url":"https://example.com/h","events":["bounce","soft_bounce"],"output_format":"JSON","auth_header_type":"bearer","auth_header_value":"********"}]}`, nil))
	api.on("webhook/edit", raw(200, "application/json", `{"request_id":"e"}`, nil))
	c := api.client()
	if _, err := c.Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{ID: 5, Headers: []string{"X-Customer-Id"}}); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	want := `{"id":5,"url":"https://example.com/h","events":["bounce","soft_bounce"],"sms_events":[],"headers":["X-Customer-Id"],"usernames":[],"output_format":"json","auth_header_type":"bearer"}`
	if got := string(api.requests("webhook/edit")[0].Body); got != want {
		t.Errorf("edit body:\n%s\nwant:\n%s", got, want)
	}
	// A masked value cannot be compared, so it does not make Ensure update.
	res, err := c.Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/h", Events: []smtp2go.EventType{smtp2go.EventBounce},
		OutputFormat: smtp2go.OutputJSON, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != smtp2go.EnsureUpdated {
		t.Errorf("Ensure = %s: the events differ (soft_bounce), so it should update", res.Action)
	}
}

func TestGoStringHidesSecrets(t *testing.T) {
	t.Parallel()
	const token = "tok-gostring-1"
	w := smtp2go.Webhook{ID: 1, URL: "https://u:pw-gostring@example.com/", AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token}
	add := smtp2go.AddWebhookRequest{URL: w.URL, AuthHeaderValue: token}
	edit := smtp2go.EditWebhookRequest{ID: 1, AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret(token))}
	res := smtp2go.ListWebhooksResponse{Webhooks: []smtp2go.Webhook{w}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "res", res, "ensure", smtp2go.EnsureWebhookResponse{Webhook: w}, "add", smtp2go.AddWebhookResponse{Webhook: w})
	for what, s := range map[string]string{
		"Webhook %#v": fmt.Sprintf("%#v", w), "Add %#v": fmt.Sprintf("%#v", add), "Edit %#v": fmt.Sprintf("%#v", edit),
		"List response %#v": fmt.Sprintf("%#v", res), "List response %+v": fmt.Sprintf("%+v", res), "slog of responses": logged.String(),
	} {
		noSecrets(t, what, s, token)
	}
}

func TestEditAuthValues(t *testing.T) {
	t.Parallel()
	view := func(typ, value string) httpmock.Responder {
		return raw(200, "application/json", `{"request_id":"r","data":[{"id":5,"url":"https://example.com/h","events":["bounce"],"output_format":"form","auth_header_type":"`+typ+`","auth_header_value":"`+value+`"}]}`, nil)
	}
	tests := []struct {
		name string
		view httpmock.Responder
		req  smtp2go.EditWebhookRequest
		want string // the auth members of the edit body
	}{
		{"a caller's value is sent", view("bearer", "********"),
			smtp2go.EditWebhookRequest{ID: 5, AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret("tok-2"))}, `"auth_header_type":"bearer","auth_header_value":"tok-2"`},
		{"a masked value read back is not", view("bearer", "********"),
			smtp2go.EditWebhookRequest{ID: 5, Events: []smtp2go.EventType{smtp2go.EventSpam}}, `"auth_header_type":"bearer"}`},
		{"a clear value read back is kept", view("bearer", "tok-1"),
			smtp2go.EditWebhookRequest{ID: 5, Events: []smtp2go.EventType{smtp2go.EventSpam}}, `"auth_header_type":"bearer","auth_header_value":"tok-1"}`},
		{"a leftover value without a type does not block an edit", view("", "leftover"),
			smtp2go.EditWebhookRequest{ID: 5, Events: []smtp2go.EventType{smtp2go.EventSpam}}, `"auth_header_type":"","auth_header_value":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", tt.view)
			api.on("webhook/edit", raw(200, "application/json", `{"request_id":"e"}`, nil))
			req := tt.req
			if _, err := api.client().Webhooks.Edit(context.Background(), &req); err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if got := string(api.requests("webhook/edit")[0].Body); !strings.Contains(got, tt.want) {
				t.Errorf("edit body %s lacks %s", got, tt.want)
			}
		})
	}
}

// TestMaskedAuthValuesAreNeverSent: a value that looks like SMTP2GO's mask of
// a secret, given by a caller who copied it from webhook/view, is refused
// before anything is sent: sent, it would replace the secret, and every
// delivery would then be refused.
func TestMaskedAuthValuesAreNeverSent(t *testing.T) {
	t.Parallel()
	// "[redacted]" is what this SDK prints for a Secret: copied from its
	// output, it is a mask too.
	for _, masked := range []string{"********", "****abcd", "••••", "ab****cd", "[redacted]"} {
		api := newMockAPI(t)
		api.on("webhook/view", raw(200, "application/json", `{"request_id":"r","data":[{"id":5,"url":"https://example.com/h","events":["bounce"],"auth_header_type":"bearer","auth_header_value":"`+masked+`"}]}`, nil))
		client := api.client()
		_, editErr := client.Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{ID: 5, AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret(masked))})
		req := documentedAdd
		req.AuthHeaderType, req.AuthHeaderValue = smtp2go.AuthBearer, smtp2go.Secret(masked)
		_, ensureErr := client.Webhooks.Ensure(context.Background(), &req)
		_, addErr := client.Webhooks.Add(context.Background(), &req)
		for what, err := range map[string]error{"Edit": editErr, "Ensure": ensureErr, "Add": addErr} {
			var ve *smtp2go.ValidationError
			if !errors.As(err, &ve) || ve.Field != "auth_header_value" {
				t.Errorf("%s with the value %q: %v; want a ValidationError for auth_header_value", what, masked, err)
			}
		}
		if n := api.count("webhook/edit") + api.count("webhook/add"); n != 0 {
			t.Errorf("%q: %d changes sent", masked, n)
		}
	}
}

func TestErrorsScrubEncodedSecrets(t *testing.T) {
	t.Parallel()
	const token = "tok/with+slash=="
	hookURL := "https://hook:Zx%2F9%2Bq@example.com/h?sig=ab%2Bcd%3D%3D"
	api := newMockAPI(t)
	// Echoes of the request as sent: percent-encoded, JSON-escaped, in HTML.
	api.on("webhook/add",
		raw(400, "application/json", `{"data":{"error":"Invalid url `+hookURL+` token tok\/with+slash==","error_code":"E_ApiResponseCodes.INVALID_IN_PAYLOAD"}}`, nil),
		raw(400, "text/html", `<html><body>bad <a href="`+hookURL+`">url</a>, Zx/9+q and ab+cd==, tok%2Fwith%2Bslash%3D%3D</body></html>`, nil))
	c := api.client(smtp2go.WithRetryMax(0))
	req := &smtp2go.AddWebhookRequest{URL: hookURL, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: token}
	for range 2 {
		_, err := c.Webhooks.Add(context.Background(), req)
		if err == nil {
			t.Fatal("want an error")
		}
		noSecrets(t, "error", err.Error(), "Zx%2F9%2Bq", "Zx/9+q", "ab%2Bcd%3D%3D", "ab+cd==", token, `tok\/with`, "tok%2Fwith")
	}
}
