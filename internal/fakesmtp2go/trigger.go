package fakesmtp2go

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/relaykit/smtp2go"
)

// TriggerPath is where the fake takes a request to deliver an event, as
// the CLI's trigger command sends it: a POST with the API key in the
// X-Smtp2go-Api-Key header and a body of [TriggerRequest]. SMTP2GO has no
// such endpoint: an answer without TriggerResponse's "fake": true comes
// from something else than the fake.
const TriggerPath = "/v3/fake/trigger"

// TriggerRequest asks the fake to deliver a sample event of type Event to
// every webhook of the account subscribed to it.
type TriggerRequest struct {
	Event        string            `json:"event"`
	Fields       map[string]string `json:"fields,omitempty"` // override or add fields, by wire name
	SubaccountID string            `json:"subaccount_id,omitempty"`
}

// TriggerResponse is the fake's answer to a [TriggerRequest], in the data
// member of SMTP2GO's envelope.
type TriggerResponse struct {
	Fake       bool              `json:"fake"`
	Deliveries []TriggerDelivery `json:"deliveries"`
	Error      string            `json:"error,omitempty"`
}

// TriggerDelivery is the last attempt at one webhook.
type TriggerDelivery struct {
	WebhookID int64  `json:"webhook_id"`
	URL       string `json:"url"` // secrets redacted
	EventID   string `json:"event_id"`
	Format    string `json:"format"`
	Attempts  int    `json:"attempts"`
	Status    int    `json:"status"` // 0 when no answer came
	Error     string `json:"error,omitempty"`
}

// serveTrigger delivers a sample event, with the request's fields, to the
// account's webhooks subscribed to it, each with its format, auth and
// headers, redelivering failures as Emit does.
func (fk *Fake) serveTrigger(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, res TriggerResponse) {
		res.Fake = true
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(struct {
			RequestID string          `json:"request_id"`
			Data      TriggerResponse `json:"data"`
		}{newUUID(), res})
	}
	if r.Method != http.MethodPost {
		answer(http.StatusMethodNotAllowed, TriggerResponse{Error: "POST a trigger request"})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(apiKeyHeader)), []byte(fk.cfg.APIKey)) != 1 {
		answer(http.StatusUnauthorized, TriggerResponse{Error: "No valid API key was provided"})
		return
	}
	var req TriggerRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes)).Decode(&req); err != nil || req.Event == "" {
		answer(http.StatusBadRequest, TriggerResponse{Error: "want a JSON object with the event to deliver"})
		return
	}
	ctx, done, err := fk.startEmit(r.Context())
	if err != nil {
		answer(http.StatusServiceUnavailable, TriggerResponse{Error: err.Error()})
		return
	}
	defer done()
	ev := SampleEvent(smtp2go.EventType(req.Event))
	var hooks []Webhook
	for _, h := range fk.subscribers(req.SubaccountID, req.Event) {
		if len(h.Usernames) == 0 || slices.Contains(h.Usernames, ev.Auth) {
			hooks = append(hooks, h)
		}
	}
	slices.SortFunc(hooks, func(a, b Webhook) int { return cmp.Compare(a.ID, b.ID) })
	res := TriggerResponse{Deliveries: make([]TriggerDelivery, len(hooks))}
	var wg sync.WaitGroup
	for i, h := range hooks {
		enc := encoding{format: h.OutputFormat, headers: h.Headers, fields: req.Fields}
		n, err := newNotification(h.URL, &ev, newEventID(), enc, authorization(h))
		if err != nil {
			res.Deliveries[i] = TriggerDelivery{WebhookID: h.ID, URL: n.redacted, Error: err.Error()}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _ := fk.redeliver(ctx, h.ID, n)
			td := TriggerDelivery{WebhookID: h.ID, URL: d.URL, EventID: d.EventID, Format: string(d.Format), Attempts: d.Attempt, Status: d.Status}
			if d.Err != nil {
				td.Error = d.Err.Error()
			}
			res.Deliveries[i] = td
		}()
	}
	wg.Wait()
	answer(http.StatusOK, res)
}
