package smtp2go_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
)

// The secrets the matrix plants. Each must appear nowhere in what the SDK
// prints, logs or returns as an error.
const (
	matrixAuth     = "tok-MATRIX-auth-0001"
	matrixPassword = "pw-MATRIX-0002"
	matrixToken    = "qt-MATRIX-0003"
	matrixAPIUser  = "api-MATRIXuser0123456789abcdef01"
)

var (
	matrixURL     = "https://hook:" + matrixPassword + "@example.com/h?token=" + matrixToken
	matrixSecrets = []string{matrixAuth, matrixPassword, matrixToken, matrixAPIUser, testKey}
)

// echo answers status with SMTP2GO's error shape, every string of which
// (request_id, message, code, field name and message) echoes the request
// body it got.
func echo(status int) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(req.Body)
		s, _ := json.Marshal(string(body) + " " + req.Header.Get("X-Smtp2go-Api-Key"))
		return raw(status, "application/json", fmt.Sprintf(`{"request_id":%s,"data":{"error":%s,"error_code":%s,"field_validation_errors":{"fieldname":%s,"message":%s}}}`, s, s, s, s, s), nil)(req)
	}
}

// echoHTML answers status with an HTML page that echoes the request body and
// headers, as a proxy's error page may.
func echoHTML(status int) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(req.Body)
		return raw(status, "text/html", fmt.Sprintf("<html><body>%s %v %s</body></html>", body, req.Header, url.QueryEscape(string(body))), nil)(req)
	}
}

// matrixWebhookJSON is a stored webhook holding every secret, as
// webhook/view may answer it.
var matrixWebhookJSON = `{"id":4320,"url":"` + matrixURL + `","events":["bounce"],"usernames":["shop","` + matrixAPIUser + `"],"output_format":"json","auth_header_type":"bearer","auth_header_value":"` + matrixAuth + `"}`

// TestSecretsMatrix plants the API key, an auth value, a URL password, a
// query token and an API-key username in every exported type of the client
// and along every error path, renders each with %v, %+v, %#v, slog's text
// and JSON handlers and Error(), and finds none of them.
func TestSecretsMatrix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := smtp2go.Webhook{ID: 4320, URL: matrixURL, Events: []smtp2go.EventType{smtp2go.EventBounce}, Usernames: []string{"shop", matrixAPIUser},
		OutputFormat: smtp2go.OutputJSON, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: matrixAuth}
	add := smtp2go.AddWebhookRequest{URL: matrixURL, Events: w.Events, Usernames: w.Usernames, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: matrixAuth, SubaccountID: "sa-1"}
	edit := smtp2go.EditWebhookRequest{ID: 4320, URL: &matrixURL, Usernames: w.Usernames, AuthHeaderType: smtp2go.Ptr(smtp2go.AuthBearer), AuthHeaderValue: smtp2go.Ptr(smtp2go.Secret(matrixAuth))}

	// Values of every exported type, some from real calls.
	okAPI := newMockAPI(t)
	okAPI.on("webhook/view", view("v", matrixWebhookJSON))
	okAPI.on("webhook/edit", raw(200, "application/json", `{"request_id":"e","data":`+matrixWebhookJSON+`}`, nil))
	client := okAPI.client()
	ensured, err := client.Webhooks.Ensure(ctx, &smtp2go.AddWebhookRequest{URL: matrixURL, Usernames: []string{matrixAPIUser}, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: "tok-other"})
	if err != nil || len(ensured.Changes) == 0 {
		t.Fatalf("Ensure = %v, %v; want an update with changes", ensured, err)
	}
	listed, err := client.Webhooks.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"Client": client, "WebhooksService": client.Webhooks,
		"Webhook": w, "*Webhook": &w, "[]Webhook": []smtp2go.Webhook{w},
		"ListWebhooksResponse.Webhooks": listed.Webhooks,
		"AddWebhookRequest":             add, "*AddWebhookRequest": &add,
		"EditWebhookRequest": edit, "*EditWebhookRequest": &edit,
		"AddWebhookResponse": smtp2go.AddWebhookResponse{Webhook: w}, "*AddWebhookResponse": &smtp2go.AddWebhookResponse{Webhook: w},
		"ListWebhooksResponse": *listed, "*ListWebhooksResponse": listed,
		"EditWebhookResponse": smtp2go.EditWebhookResponse{Webhook: w}, "*EditWebhookResponse": &smtp2go.EditWebhookResponse{Webhook: w},
		"RemoveWebhookResponse": smtp2go.RemoveWebhookResponse{Webhook: &w}, "*RemoveWebhookResponse": &smtp2go.RemoveWebhookResponse{Webhook: &w},
		"EnsureWebhookResponse": *ensured, "*EnsureWebhookResponse": ensured, "[]FieldChange": ensured.Changes,
		"ListWebhooksRequest": smtp2go.ListWebhooksRequest{SubaccountID: "sa-1"}, "GetWebhookOptions": smtp2go.GetWebhookOptions{SubaccountID: "sa-1"},
		"RemoveWebhookRequest": smtp2go.RemoveWebhookRequest{ID: 1},
	}

	// Every error path, each made to see the secrets.
	errs := map[string]error{}
	call := func(name string, setup func(api *mockAPI), do func(c *smtp2go.Client) error, opts ...smtp2go.Option) {
		api := newMockAPI(t)
		setup(api)
		errs[name] = do(api.client(append([]smtp2go.Option{smtp2go.WithRetryWait(0, 0)}, opts...)...))
	}
	addIt := func(c *smtp2go.Client) error { _, err := c.Webhooks.Add(ctx, &add); return err }
	listIt := func(c *smtp2go.Client) error { _, err := c.Webhooks.List(ctx, nil); return err }
	editIt := func(c *smtp2go.Client) error { _, err := c.Webhooks.Edit(ctx, &edit); return err }
	ensureIt := func(c *smtp2go.Client) error { _, err := c.Webhooks.Ensure(ctx, &add); return err }
	call("add 400 echoed in every field", func(api *mockAPI) { api.on("webhook/add", echo(400)) }, addIt)
	call("add 502 HTML echo", func(api *mockAPI) { api.on("webhook/add", echoHTML(502)) }, addIt)
	call("add 503 echo, outcome unknown", func(api *mockAPI) {
		api.on("webhook/add", echo(503))
		api.on("webhook/view", view("v", matrixWebhookJSON))
	}, addIt)
	call("add outcome unknown, the look fails with an echo", func(api *mockAPI) {
		api.on("webhook/add", echo(503))
		api.on("webhook/view", echo(403))
	}, addIt)
	call("add 429 echo, retries run out", func(api *mockAPI) { api.on("webhook/add", echo(429)) }, addIt)
	call("list 200 cut short", func(api *mockAPI) {
		api.on("webhook/view", raw(200, "application/json", `{"request_id":"r","data":[`+matrixWebhookJSON+`,{"id":1,"url":"`+matrixURL, nil))
	}, listIt)
	call("list 200 of the wrong shape", func(api *mockAPI) {
		api.on("webhook/view", raw(200, "application/json", `{"request_id":"r","data":[{"id":"`+matrixAuth+`","usernames":{"`+matrixAPIUser+`":1},"auth_header_value":"`+matrixAuth+`"}]}`, nil))
	}, listIt)
	call("list 500 HTML echo of another key", func(api *mockAPI) {
		api.on("webhook/view", raw(500, "text/html", "<p>key "+matrixAPIUser+" refused</p>", nil))
	}, listIt)
	call("edit 400 echo", func(api *mockAPI) {
		api.on("webhook/view", view("v", matrixWebhookJSON))
		api.on("webhook/edit", echo(400))
	}, editIt)
	call("ensure's edit 400 echo", func(api *mockAPI) {
		api.on("webhook/view", view("v", strings.Replace(matrixWebhookJSON, `"bounce"`, `"open"`, 1)))
		api.on("webhook/edit", echo(400))
	}, ensureIt)
	call("ensure's add 400 echo", func(api *mockAPI) {
		api.on("webhook/view", fixture(t, 200, "view_empty.json"))
		api.on("webhook/add", echo(400))
	}, ensureIt)
	call("ensure: several set up differently", func(api *mockAPI) {
		api.on("webhook/view", view("v", matrixWebhookJSON, strings.Replace(matrixWebhookJSON, `4320`, `4321`, 1)+"", strings.Replace(strings.Replace(matrixWebhookJSON, `4320`, `4322`, 1), `"shop",`, ``, 1)))
	}, ensureIt)
	call("transport error", func(api *mockAPI) {
		api.on("webhook/add", httpmock.NewErrorResponder(errors.New("connection reset by peer")))
		api.on("webhook/view", view("v", matrixWebhookJSON))
	}, addIt, smtp2go.WithTimeout(time.Second))
	call("context cancelled", func(api *mockAPI) {}, func(c *smtp2go.Client) error {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Webhooks.Add(cancelled, &add)
		return err
	})
	call("not found", func(api *mockAPI) { api.on("webhook/view", view("v", matrixWebhookJSON)) }, func(c *smtp2go.Client) error {
		_, err := c.Webhooks.Get(ctx, 1, nil)
		return err
	})
	for name, req := range map[string]smtp2go.AddWebhookRequest{
		"invalid URL":          {URL: matrixURL + " with space", AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: matrixAuth},
		"auth value with a CR": {URL: matrixURL, AuthHeaderType: smtp2go.AuthBearer, AuthHeaderValue: matrixAuth + "\r"},
		"auth value, no type":  {URL: matrixURL, AuthHeaderValue: matrixAuth},
		"basic, not base64":    {URL: matrixURL, AuthHeaderType: smtp2go.AuthBasic, AuthHeaderValue: matrixAuth},
		"blank username":       {URL: matrixURL, Usernames: []string{matrixAPIUser, " "}},
	} {
		_, errs["validation: "+name] = client.Webhooks.Add(ctx, &req)
	}
	_, errs["NewClient: key with a newline"] = smtp2go.NewClient(testKey + "\n")
	_, errs["NewClient: base URL with a password"] = smtp2go.NewClient(testKey, smtp2go.WithBaseURL("https://u:"+matrixPassword+"@api.test/v3/?t="+matrixToken))

	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		values["error: "+name] = err
		noSecrets(t, name+": Error()", err.Error(), matrixSecrets...)
	}
	for name, v := range values {
		var text, js bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
		slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
		forms := map[string]string{
			"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v),
			"slog text": text.String(), "slog JSON": js.String(),
		}
		if b, err := json.Marshal(v); err == nil {
			forms["json.Marshal"] = string(b)
		}
		// Values hide their Secrets; a URL and usernames are plain strings,
		// which the SDK shows through RedactURL (as errors do, above).
		for form, s := range forms {
			noSecrets(t, name+" "+form, s, matrixAuth, testKey)
		}
	}
	// The matrix saw what it should: the redacted forms, not nothing.
	if s := fmt.Sprint(w); !strings.Contains(s, "example.com") || !strings.Contains(s, "[redacted]") {
		t.Errorf("Webhook printed as %s", s)
	}
	var js bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "list", listed, "webhooks", listed.Webhooks)
	if s := js.String(); strings.Count(s, `"id":4320`) != 2 || strings.Count(s, `"auth_header_value":"[redacted]"`) != 2 {
		t.Error("slog's JSON handler did not log the webhooks, redacted, in both a ListWebhooksResponse and its Webhooks")
	}
}
