package smtp2go_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
)

// view answers webhook/view with these webhooks (JSON objects).
func view(requestID string, webhooks ...string) httpmock.Responder {
	return raw(200, "application/json", `{"request_id":"`+requestID+`","data":[`+strings.Join(webhooks, ",")+`]}`, nil)
}

// documentedJSON is documentedWebhook with another ID.
func documentedJSON(id int64) string {
	return fmt.Sprintf(`{"id":%d,"url":"https://example.com/test-webhook","events":["processed"],"sms_events":["sending"],"headers":["X-Test-Header"],"usernames":["MyUser1"],"output_format":"json"}`, id)
}

// endpoints returns the endpoints the mock was sent, in order.
func (m *mockAPI) endpoints() []string {
	var out []string
	for _, r := range m.requests("") {
		out = append(out, r.Endpoint)
	}
	return out
}

func TestEnsure(t *testing.T) {
	t.Parallel()
	t.Run("created, then looked at again", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", fixture(t, 200, "view_empty.json"), view("after-add", documentedJSON(4320)))
		api.on("webhook/add", fixture(t, 200, "add_documented.json"))
		req := documentedAdd
		res, err := api.client().Webhooks.Ensure(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != smtp2go.EnsureCreated || res.Webhook.ID != 4320 || res.RequestID != "after-add" || res.Changes != nil || res.Removed != nil {
			t.Errorf("res = %+v", res)
		}
		if got, want := string(api.requests("webhook/add")[0].Body), golden(t, "add_request_documented.golden.json"); got != want {
			t.Errorf("add body = %s", got)
		}
		if got := api.endpoints(); !slices.Equal(got, []string{"webhook/view", "webhook/add", "webhook/view"}) {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("unchanged: lists compare as sets, empty format is form", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", fixture(t, 200, "view_array.json"))
		res, err := api.client().Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{
			URL:            "https://hooks.example.org/smtp2go",
			Events:         []smtp2go.EventType{smtp2go.EventSpam, smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam},
			AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "tok-123",
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != smtp2go.EnsureUnchanged || res.Webhook.ID != 4321 || res.Changes != nil {
			t.Errorf("res = %+v", res)
		}
		if n := len(api.requests("")); n != 1 {
			t.Errorf("sent %d requests, want only the list", n)
		}
	})
	t.Run("updated to exactly the request", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on("webhook/view", fixture(t, 200, "view_array.json"))
		api.on("webhook/edit", raw(200, "application/json", `{"request_id":"edit-1"}`, nil))
		res, err := api.client().Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{
			URL:    "https://hooks.example.org/smtp2go",
			Events: []smtp2go.EventType{smtp2go.EventDelivered},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != smtp2go.EnsureUpdated || res.Webhook.ID != 4321 || res.RequestID != "edit-1" {
			t.Errorf("res = %+v", res)
		}
		want := `{"id":4321,"url":"https://hooks.example.org/smtp2go","events":["delivered"],"sms_events":[],"headers":[],"usernames":[],"output_format":"form","auth_header_type":"","auth_header_value":""}`
		if got := string(api.requests("webhook/edit")[0].Body); got != want {
			t.Errorf("edit body:\n%s\nwant:\n%s", got, want)
		}
		wantChanges := []smtp2go.FieldChange{
			{Field: "events", Old: "delivered, bounce, spam", New: "delivered"},
			{Field: "auth_header_type", Old: "bearer", New: ""},
			{Field: "auth_header_value", Old: "[redacted]", New: ""},
		}
		if !reflect.DeepEqual(res.Changes, wantChanges) {
			t.Errorf("Changes = %+v\nwant      %+v", res.Changes, wantChanges)
		}
	})
}

// TestEnsureFieldChanges changes one compared setting at a time. Each must
// make Ensure edit, and name that setting alone in Changes: a setting left
// out of the comparison fails its row.
func TestEnsureFieldChanges(t *testing.T) {
	t.Parallel()
	basic := smtp2go.BasicAuthValue("shop", "pass")
	current := `{"id":42,"url":"https://example.com/h","events":["delivered","bounce"],"sms_events":["failed"],"headers":["X-Customer-Id"],"usernames":["shop"],"output_format":"json","auth_header_type":"bearer","auth_header_value":"` + basic.Reveal() + `"}`
	same := func() smtp2go.AddWebhookRequest {
		return smtp2go.AddWebhookRequest{
			URL: "https://example.com/h", Events: []smtp2go.EventType{smtp2go.EventBounce, smtp2go.EventDelivered},
			SMSEvents: []smtp2go.SMSEventType{smtp2go.SMSFailed}, Headers: []string{"X-Customer-Id"}, Usernames: []string{"shop"},
			OutputFormat: smtp2go.OutputJSON, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: basic,
		}
	}
	const apiKeyUser = "api-0123456789abcdefABCDEF0123456789"
	tests := []struct {
		change func(r *smtp2go.AddWebhookRequest)
		want   smtp2go.FieldChange // Field "": unchanged
		sent   string              // in the edit body
	}{
		{func(r *smtp2go.AddWebhookRequest) {}, smtp2go.FieldChange{}, ""},
		{func(r *smtp2go.AddWebhookRequest) { r.Events = []smtp2go.EventType{smtp2go.EventDelivered} },
			smtp2go.FieldChange{Field: "events", Old: "delivered, bounce", New: "delivered"}, `"events":["delivered"]`},
		{func(r *smtp2go.AddWebhookRequest) { r.SMSEvents = append(r.SMSEvents, smtp2go.SMSDelivered) },
			smtp2go.FieldChange{Field: "sms_events", Old: "failed", New: "failed, delivered"}, `"sms_events":["failed","delivered"]`},
		{func(r *smtp2go.AddWebhookRequest) { r.Headers = nil },
			smtp2go.FieldChange{Field: "headers", Old: "X-Customer-Id", New: ""}, `"headers":[]`},
		{func(r *smtp2go.AddWebhookRequest) { r.Usernames = []string{"shop", apiKeyUser} },
			smtp2go.FieldChange{Field: "usernames", Old: "shop", New: "shop, api-[redacted]"}, `"usernames":["shop","` + apiKeyUser + `"]`},
		{func(r *smtp2go.AddWebhookRequest) { r.OutputFormat = "" },
			smtp2go.FieldChange{Field: "output_format", Old: "json", New: "form"}, `"output_format":"form"`},
		{func(r *smtp2go.AddWebhookRequest) { r.AuthHeaderType = smtp2go.AuthBasic },
			smtp2go.FieldChange{Field: "auth_header_type", Old: "bearer", New: "basic"}, `"auth_header_type":"basic"`},
		{func(r *smtp2go.AddWebhookRequest) { r.AuthHeaderValue = "tok-rotated-secret" },
			smtp2go.FieldChange{Field: "auth_header_value", Old: "[redacted]", New: "[redacted]"}, `"auth_header_value":"tok-rotated-secret"`},
	}
	for _, tt := range tests {
		name := tt.want.Field
		if name == "" {
			name = "nothing"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", view("r", current))
			api.on("webhook/edit", raw(200, "application/json", `{"request_id":"e"}`, nil))
			req := same()
			tt.change(&req)
			// Plan tells beforehand what Ensure reports after.
			planned, err := api.client().Webhooks.Plan(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			res, err := api.client().Webhooks.Ensure(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(planned.Changes, res.Changes) || planned.Action != res.Action {
				t.Errorf("Plan = %s %+v, want Ensure's %s %+v", planned.Action, planned.Changes, res.Action, res.Changes)
			}
			if tt.want.Field == "" {
				if res.Action != smtp2go.EnsureUnchanged || res.Changes != nil || api.count("webhook/edit") != 0 {
					t.Errorf("res = %+v, %d edits; want unchanged", res, api.count("webhook/edit"))
				}
				return
			}
			if res.Action != smtp2go.EnsureUpdated || !reflect.DeepEqual(res.Changes, []smtp2go.FieldChange{tt.want}) {
				t.Errorf("Ensure = %s %+v, want updated with only %+v", res.Action, res.Changes, tt.want)
			}
			if edits := api.requests("webhook/edit"); len(edits) != 1 || !strings.Contains(string(edits[0].Body), tt.sent) {
				t.Errorf("edits %v, want one with %s", edits, tt.sent)
			}
			noSecrets(t, "response", fmt.Sprintf("%v %+v %#v", res, res, res), "tok-rotated-secret", basic.Reveal())
		})
	}
}

// TestEnsureDuplicates: identical webhooks with the URL are duplicates, and
// Ensure keeps the lowest ID; differing ones are left alone.
func TestEnsureDuplicates(t *testing.T) {
	t.Parallel()
	const other = `{"id":3,"url":"https://example.com/other","events":["open"]}`
	notFound := fixture(t, 400, "error_field_object_400.json")
	tests := []struct {
		name        string
		view        []httpmock.Responder
		remove      []httpmock.Responder
		edit        bool
		wantSent    []string
		wantID      int64
		wantAction  smtp2go.EnsureAction
		wantRemoved []int64
	}{
		{"identical: all but the lowest removed",
			[]httpmock.Responder{view("v1", documentedJSON(9), other, documentedJSON(5), documentedJSON(7)), view("v2", other, documentedJSON(5))},
			[]httpmock.Responder{raw(200, "application/json", `{}`, nil)}, false,
			[]string{"webhook/view", "webhook/remove", "webhook/remove", "webhook/view"}, 5, smtp2go.EnsureUnchanged, []int64{7, 9}},
		{"a remove answered not found counts as done",
			[]httpmock.Responder{view("v1", documentedJSON(5), documentedJSON(9)), view("v2", documentedJSON(5))},
			[]httpmock.Responder{notFound}, false,
			[]string{"webhook/view", "webhook/remove", "webhook/view"}, 5, smtp2go.EnsureUnchanged, nil},
		{"a remove that keeps failing is tried again",
			[]httpmock.Responder{view("v1", documentedJSON(5), documentedJSON(9)), view("v2", documentedJSON(5), documentedJSON(9)), view("v3", documentedJSON(5))},
			[]httpmock.Responder{raw(503, "text/plain", "", nil), raw(503, "text/plain", "", nil), raw(503, "text/plain", "", nil), raw(503, "text/plain", "", nil), raw(200, "application/json", `{}`, nil)}, false,
			[]string{"webhook/view", "webhook/remove", "webhook/remove", "webhook/remove", "webhook/remove", "webhook/view", "webhook/remove", "webhook/view"}, 5, smtp2go.EnsureUnchanged, []int64{9}},
		{"identical to each other, not to the request: removed, then edited",
			[]httpmock.Responder{view("v1", strings.Replace(documentedJSON(5), `"processed"`, `"open"`, 1), strings.Replace(documentedJSON(6), `"processed"`, `"open"`, 1)),
				view("v2", strings.Replace(documentedJSON(5), `"processed"`, `"open"`, 1))},
			[]httpmock.Responder{raw(200, "application/json", `{}`, nil)}, true,
			[]string{"webhook/view", "webhook/remove", "webhook/view", "webhook/edit"}, 5, smtp2go.EnsureUpdated, []int64{6}},
		{"a racer added too: ours is removed, theirs kept",
			[]httpmock.Responder{view("v1", other), view("v2", documentedJSON(4330), documentedJSON(4320)), view("v3", documentedJSON(4320))},
			[]httpmock.Responder{raw(200, "application/json", `{}`, nil)}, false,
			[]string{"webhook/view", "webhook/add", "webhook/view", "webhook/remove", "webhook/view"}, 4320, smtp2go.EnsureCreated, []int64{4330}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/view", tt.view...)
			api.on("webhook/remove", tt.remove...)
			api.on("webhook/add", raw(200, "application/json", `{"request_id":"a","data":`+documentedJSON(4330)+`}`, nil))
			api.on("webhook/edit", raw(200, "application/json", `{"request_id":"e"}`, nil))
			req := documentedAdd
			res, err := api.client().Webhooks.Ensure(context.Background(), &req)
			if err != nil {
				t.Fatalf("Ensure: %v (sent %v)", err, api.endpoints())
			}
			if !slices.Equal(api.endpoints(), tt.wantSent) {
				t.Errorf("sent %v\nwant %v", api.endpoints(), tt.wantSent)
			}
			if res.Webhook.ID != tt.wantID || res.Action != tt.wantAction || !slices.Equal(res.Removed, tt.wantRemoved) {
				t.Errorf("Ensure = %s %d removed %v; want %s %d removed %v", res.Action, res.Webhook.ID, res.Removed, tt.wantAction, tt.wantID, tt.wantRemoved)
			}
			for _, r := range api.requests("webhook/remove") {
				if strings.Contains(string(r.Body), fmt.Sprint(tt.wantID)) {
					t.Errorf("the webhook kept was asked to be removed: %s", r.Body)
				}
			}
		})
	}
	t.Run("set up differently: left alone", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		// A deliberate pair: the same URL for two senders.
		shop := strings.Replace(documentedJSON(5), `"MyUser1"`, `"shop"`, 1)
		api.on("webhook/view", view("v", documentedJSON(9), shop))
		req := documentedAdd
		_, err := api.client().Webhooks.Ensure(context.Background(), &req)
		if !errors.Is(err, smtp2go.ErrDuplicateURL) || !strings.Contains(err.Error(), "5, 9") {
			t.Errorf("error = %v, want ErrDuplicateURL naming 5 and 9", err)
		}
		if got := api.endpoints(); !slices.Equal(got, []string{"webhook/view"}) {
			t.Errorf("sent %v, want only the list", got)
		}
	})
}

// TestEnsureSettlesItsAdds: what follows an add that failed, or that was
// refused because the plan is full.
func TestEnsureSettlesItsAdds(t *testing.T) {
	t.Parallel()
	limit := raw(400, "application/json", `{"request_id":"r-limit","data":{"error":"Webhook limit reached","error_code":"E_ApiResponseCodes.API_EXCEPTION"}}`, nil)
	tests := []struct {
		name     string
		add      []httpmock.Responder
		view     []httpmock.Responder
		wantSent []string
		wantID   int64 // 0: an error
		wantIs   error
	}{
		{"503, not created: added again", []httpmock.Responder{raw(503, "text/plain", "", nil), fixture(t, 200, "add_documented.json")},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json"), fixture(t, 200, "view_empty.json"), view("v", documentedJSON(4320))},
			[]string{"webhook/view", "webhook/add", "webhook/view", "webhook/add", "webhook/view"}, 4320, nil},
		{"503, created: taken", []httpmock.Responder{raw(503, "text/plain", "", nil)},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json"), view("v", documentedJSON(4320))},
			[]string{"webhook/view", "webhook/add", "webhook/view"}, 4320, nil},
		{"503 every time: the budget is spent", []httpmock.Responder{raw(503, "text/plain", "", nil)},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json")},
			[]string{"webhook/view", "webhook/add", "webhook/view", "webhook/add", "webhook/view", "webhook/add", "webhook/view", "webhook/add", "webhook/view"}, 0, smtp2go.ErrServer},
		{"503, then the look fails", []httpmock.Responder{raw(503, "text/plain", "", nil)},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json"), fixture(t, 403, "error_permission_403.json")},
			[]string{"webhook/view", "webhook/add", "webhook/view"}, 0, smtp2go.ErrServer},
		{"503, created and by a racer too, then the look fails: the add was settled", []httpmock.Responder{raw(503, "text/plain", "", nil)},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json"), view("v", documentedJSON(4320), documentedJSON(4321)), fixture(t, 403, "error_permission_403.json")},
			[]string{"webhook/view", "webhook/add", "webhook/view", "webhook/remove", "webhook/view"}, 0, smtp2go.ErrForbidden},
		{"plan full, a racer's webhook there: taken", []httpmock.Responder{limit},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json"), view("v", documentedJSON(4320))},
			[]string{"webhook/view", "webhook/add", "webhook/view"}, 4320, nil},
		{"plan full, nothing there: the refusal stands", []httpmock.Responder{limit},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json")},
			[]string{"webhook/view", "webhook/add", "webhook/view"}, 0, smtp2go.ErrBadRequest},
		{"no permission: no look", []httpmock.Responder{fixture(t, 400, "error_permission_400.json")},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json")},
			[]string{"webhook/view", "webhook/add"}, 0, smtp2go.ErrForbidden},
		{"added, and never listed: looked for, never added twice, and the added one returned", []httpmock.Responder{fixture(t, 200, "add_documented.json")},
			[]httpmock.Responder{fixture(t, 200, "view_empty.json")},
			[]string{"webhook/view", "webhook/add", "webhook/view", "webhook/view", "webhook/view", "webhook/view", "webhook/view"}, 4320, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on("webhook/add", tt.add...)
			api.on("webhook/view", tt.view...)
			api.on("webhook/remove", raw(200, "application/json", `{}`, nil))
			req := documentedAdd
			res, err := api.client().Webhooks.Ensure(context.Background(), &req)
			if got := api.endpoints(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v\nwant %v", got, tt.wantSent)
			}
			if tt.wantID != 0 {
				if err != nil || res.Webhook.ID != tt.wantID || res.Action != smtp2go.EnsureCreated {
					t.Errorf("Ensure = %+v, %v; want webhook %d created", res, err, tt.wantID)
				}
				return
			}
			if err == nil || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Errorf("Ensure = %+v, %v; want an error matching %v", res, err, tt.wantIs)
			}
			// Here, the adds answered 503 are those that may have been
			// carried out, and no look settled them.
			if unknown := errors.Is(err, smtp2go.ErrServer); errors.Is(err, smtp2go.ErrOutcomeUnknown) != unknown {
				t.Errorf("Ensure = %v; want outcome unknown %t", err, unknown)
			}
		})
	}
}

// TestEnsureAddedThenLookFails: an add that succeeded, then a look that
// fails after the client's retries: Ensure returns the look's error, not the
// webhook the add returned, since a racer may have removed it as a
// duplicate of its own; the look is retried only by the client, and nothing
// is added twice. Ensure again settles it.
func TestEnsureAddedThenLookFails(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/add", fixture(t, 200, "add_documented.json"))
	api.on("webhook/view", fixture(t, 200, "view_empty.json"), raw(503, "text/plain", "", nil), raw(503, "text/plain", "", nil),
		raw(503, "text/plain", "", nil), raw(503, "text/plain", "", nil), view("v", documentedJSON(4320)))
	req := documentedAdd
	res, err := api.client().Webhooks.Ensure(context.Background(), &req)
	if want := []string{"webhook/view", "webhook/add", "webhook/view", "webhook/view", "webhook/view", "webhook/view"}; !slices.Equal(api.endpoints(), want) {
		t.Errorf("sent %v\nwant %v", api.endpoints(), want)
	}
	if res != nil || !errors.Is(err, smtp2go.ErrServer) || errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		t.Fatalf("Ensure = %+v, %v; want the look's 503, not an unknown outcome", res, err)
	}
	res, err = api.client().Webhooks.Ensure(context.Background(), &req)
	if err != nil || res.Webhook.ID != 4320 || res.Action != smtp2go.EnsureUnchanged {
		t.Errorf("Ensure again = %+v, %v; want webhook 4320 unchanged", res, err)
	}
}

// TestEnsureStopsRemovingAfterItsBudget: duplicates that keep being listed
// (racers still adding, or removes that do not take) are left after the
// client's budget of looks, and Ensure returns the lowest.
func TestEnsureStopsRemovingAfterItsBudget(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", view("v1", documentedJSON(9), documentedJSON(5)), view("v2", documentedJSON(5), documentedJSON(8), documentedJSON(9)))
	api.on("webhook/remove", raw(200, "application/json", `{}`, nil))
	req := documentedAdd
	res, err := api.client(smtp2go.WithRetryMax(0)).Webhooks.Ensure(context.Background(), &req)
	if err != nil || res.Webhook.ID != 5 || res.Action != smtp2go.EnsureUnchanged || !slices.Equal(res.Removed, []int64{8, 9}) {
		t.Fatalf("Ensure = %+v, %v; want 5 kept, 8 and 9 removed once each", res, err)
	}
	want := []string{"webhook/view", "webhook/remove", "webhook/view", "webhook/remove", "webhook/remove", "webhook/view"}
	if got := api.endpoints(); !slices.Equal(got, want) {
		t.Errorf("sent %v\nwant %v", got, want)
	}
}

func TestWebhookMatches(t *testing.T) {
	t.Parallel()
	req := documentedAdd
	other := req
	other.URL = "https://example.com/other"
	masked := documentedWebhook
	masked.AuthHeaderType, masked.AuthHeaderValue = smtp2go.AuthBearer, "********"
	withAuth := req
	withAuth.AuthHeaderType, withAuth.AuthHeaderValue = smtp2go.AuthBearer, "tok-1"
	for _, tt := range []struct {
		w    smtp2go.Webhook
		req  *smtp2go.AddWebhookRequest
		want bool
	}{
		{documentedWebhook, &req, true},
		{documentedWebhook, &other, false},
		{documentedWebhook, nil, false},
		{masked, &withAuth, true}, // a masked value cannot be compared
	} {
		if got := tt.w.Matches(tt.req); got != tt.want {
			t.Errorf("%v.Matches(%v) = %t", tt.w, tt.req, got)
		}
	}
}

// TestEnsureCancelledBeforeItLooks: a caller who gives up after an add
// answered 503, before a list could tell whether it was carried out, gets
// what Add would say.
func TestEnsureCancelledBeforeItLooks(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on("webhook/view", fixture(t, 200, "view_empty.json"))
	api.on("webhook/add", raw(503, "text/plain", "", nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelAfterAdd := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/webhook/add") {
			defer cancel()
		}
		return api.mt.RoundTrip(req)
	})
	c := api.client(smtp2go.WithHTTPClient(&http.Client{Transport: cancelAfterAdd}))
	req := documentedAdd
	_, err := c.Webhooks.Ensure(ctx, &req)
	var unknown *smtp2go.OutcomeUnknownError
	if !errors.As(err, &unknown) || !errors.Is(err, smtp2go.ErrServer) || !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "the context ended before a list could tell") {
		t.Errorf("Ensure = %v; want an *OutcomeUnknownError with the 503 and context.Canceled", err)
	}
	if got, want := api.endpoints(), []string{"webhook/view", "webhook/add"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}
