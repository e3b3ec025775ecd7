package fakesmtp2go

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
)

// userAgent is the User-Agent of deliveries. SMTP2GO's own is not documented.
const userAgent = "smtp2go-webhooks-fake/1"

// Delivery defaults. SMTP2GO waits 10 seconds for response headers and
// redelivers about 35 times over 48 hours; the fake keeps the timeout and
// compresses the schedule to 5 redeliveries within milliseconds, so that
// tests of redelivery run fast.
const defaultDeliveryTimeout = 10 * time.Second

var defaultRedeliveryWaits = []time.Duration{
	1 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 16 * time.Millisecond,
}

// maxDrainBytes bounds how much of a response body is read before the
// connection is closed: receivers answer with an empty body or a short text.
const maxDrainBytes = 64 << 10

// errServerClosed is the cause of emits interrupted by Fake.Close.
var errServerClosed = fmt.Errorf("fake SMTP2GO closed: %w", http.ErrServerClosed)

// Delivery is one attempt at delivering an event to a URL, as [Fake.Emit],
// [Fake.Deliveries] and [Deliver] report it and smtp2gotest.Delivery
// documents it. smtp2gotest converts it to its own Delivery, so the compiler
// keeps the two identical.
type Delivery struct {
	WebhookID int64                // the webhook's ID; 0 for Deliver
	URL       string               // the target URL, secrets redacted
	EventID   string               // the notification ID sent in the "id" field
	Type      smtp2go.EventType    // the event delivered
	Format    smtp2go.OutputFormat // the body's encoding
	Attempt   int                  // 1 for the first delivery, 2 for the first redelivery…
	Status    int                  // the HTTP status answered; 0 when there was no response
	Err       error                // the transport error or timeout
	Latency   time.Duration        // from sending to the response headers, or to the failure
	Time      time.Time            // when the attempt started
}

// OK reports whether the receiver acknowledged the delivery with a 2xx
// status, which is what stops SMTP2GO's redeliveries.
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status <= 299 }

// notification is one event encoded for one target, sent as is on every
// attempt.
type notification struct {
	target   string      // the URL requested, without userinfo
	redacted string      // the URL for Delivery.URL
	header   http.Header // Content-Type, User-Agent and Authorization
	body     []byte
	eventID  string
	typ      smtp2go.EventType
	format   string
}

// newNotification encodes ev with the notification ID id for rawURL, as enc
// says. authorization is the value of the Authorization header; when it is
// "" and rawURL holds user:password@, the header is Basic auth with those,
// as SMTP2GO sends. The userinfo is never part of the URL requested.
func newNotification(rawURL string, ev *webhook.Event, id string, enc encoding, authorization string) (*notification, error) {
	if enc.format == "" {
		enc.format = formatForm
	}
	n := &notification{redacted: smtp2go.RedactURL(rawURL), eventID: id, typ: ev.Type, format: enc.format}
	if ev.Type == "" {
		return n, errors.New("the event has no Type")
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return n, fmt.Errorf("%q is not an absolute http or https URL", n.redacted)
	}
	if u.User != nil {
		if authorization == "" {
			pass, _ := u.User.Password()
			authorization = BasicAuthorization(u.User.Username(), pass)
		}
		u.User = nil
	}
	n.target = u.String()
	ct, body, err := encodeEvent(ev, id, enc)
	if err != nil {
		return n, err
	}
	n.body = body
	n.header = http.Header{"Content-Type": {ct}, "User-Agent": {userAgent}}
	if authorization != "" {
		n.header.Set("Authorization", authorization)
	}
	return n, nil
}

// delivery returns the record of an attempt at n, before it is made.
func (n *notification) delivery(attempt int) Delivery {
	return Delivery{URL: n.redacted, EventID: n.eventID, Type: n.typ, Format: smtp2go.OutputFormat(n.format), Attempt: attempt, Time: time.Now()}
}

// send makes one attempt at delivering n with hc, waiting at most timeout
// for the response headers (and for draining a short body after them).
func (n *notification) send(ctx context.Context, hc *http.Client, timeout time.Duration, attempt int) Delivery {
	d := n.delivery(attempt)
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, n.target, bytes.NewReader(n.body))
	if err != nil {
		d.Err = fmt.Errorf("building the request: %w", err)
		return d
	}
	req.Header = n.header.Clone()
	resp, err := hc.Do(req)
	d.Latency = time.Since(d.Time)
	if err != nil {
		d.Err = n.describe(err, ctx, actx, timeout)
		return d
	}
	d.Status = resp.StatusCode
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
	_ = resp.Body.Close()
	return d
}

// describe turns the error of a request into Delivery.Err: a timeout says so,
// and the URL in the error is the redacted one.
func (n *notification) describe(err error, ctx, actx context.Context, timeout time.Duration) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("POST %s: no response within %v: %w", n.redacted, timeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: n.redacted, Err: ue.Err}
	}
	return err
}

// newDeliveryClient returns the HTTP client deliveries are sent with: no
// redirects followed (a 3xx answer is a failure, as any non-2xx), and no
// connections kept unless keepAlive.
func newDeliveryClient(keepAlive bool) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableKeepAlives:     !keepAlive,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newEventID returns 32 random hex digits, the shape of a notification's id.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Emit delivers ev, as SMTP2GO would, to every webhook of an account (the
// main account for "") that subscribes to it, and returns when each delivery
// succeeded or ran out of redeliveries, with the last attempt of each, in
// webhook ID order. smtp2gotest.Server.EmitSubaccount documents the rest.
func (fk *Fake) Emit(ctx context.Context, account string, ev webhook.Event) ([]Delivery, error) {
	if ev.Type == "" {
		return nil, errors.New("emit: the event has no Type")
	}
	ctx, done, err := fk.startEmit(ctx)
	if err != nil {
		return nil, err
	}
	defer done()

	var hooks []Webhook
	for _, w := range fk.subscribers(account, string(ev.Type)) {
		if len(w.Usernames) == 0 || slices.Contains(w.Usernames, ev.Auth) {
			hooks = append(hooks, w)
		}
	}
	slices.SortFunc(hooks, func(a, b Webhook) int { return cmp.Compare(a.ID, b.ID) })

	results := make([]Delivery, len(hooks))
	finished := make([]bool, len(hooks))
	var wg sync.WaitGroup
	for i, w := range hooks {
		id := ev.ID
		if id == "" {
			id = newEventID()
		}
		n, err := newNotification(w.URL, &ev, id, encoding{format: w.OutputFormat, headers: w.Headers}, authorization(w))
		if err != nil { // a stored URL that does not parse: nothing to send
			d := n.delivery(1)
			d.WebhookID, d.Err = w.ID, err
			fk.record(d)
			results[i], finished[i] = d, true
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], finished[i] = fk.redeliver(ctx, w.ID, n)
		}()
	}
	wg.Wait()
	if slices.Contains(finished, false) {
		return results, context.Cause(ctx)
	}
	return results, nil
}

// authorization returns the Authorization header w's auth_header_type and
// auth_header_value make, or "".
func authorization(w Webhook) string {
	switch w.AuthHeaderType {
	case authBearer:
		return "Bearer " + w.AuthHeaderValue
	case authBasic:
		return "Basic " + w.AuthHeaderValue
	}
	return ""
}

// BasicAuthorization returns the value of an Authorization header with
// Basic auth for user and pass.
func BasicAuthorization(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// startEmit registers an emit, so that Close waits for it, and returns its
// context, which Close cancels, and the function that ends it.
func (fk *Fake) startEmit(parent context.Context) (context.Context, func(), error) {
	if err := parent.Err(); err != nil {
		return nil, nil, context.Cause(parent)
	}
	fk.mu.Lock()
	if fk.closed {
		fk.mu.Unlock()
		return nil, nil, errServerClosed
	}
	fk.emitting.Add(1)
	fk.mu.Unlock()
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(fk.closeCtx, func() { cancel(errServerClosed) })
	return ctx, func() {
		stop()
		cancel(nil)
		fk.emitting.Done()
	}, nil
}

// redeliver delivers n to webhook id until an attempt succeeds or the
// schedule runs out, and returns the last attempt. finished is false when
// ctx ended the deliveries first.
func (fk *Fake) redeliver(ctx context.Context, id int64, n *notification) (last Delivery, finished bool) {
	waits := fk.cfg.RedeliveryWaits
	for attempt := 1; ; attempt++ {
		d := n.send(ctx, fk.deliveryClient, fk.cfg.DeliveryTimeout, attempt)
		d.WebhookID = id
		fk.record(d)
		switch {
		case d.OK():
			return d, true
		case ctx.Err() != nil:
			return d, false
		case attempt > len(waits):
			return d, true
		}
		if !sleep(ctx, waits[attempt-1], nil) {
			return d, false
		}
	}
}

// sleep waits d, and reports false if ctx ended, or stop was closed, first.
// A nil stop never closes.
func sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

// record appends an attempt to the fake's deliveries.
func (fk *Fake) record(d Delivery) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.deliveries = append(fk.deliveries, d)
}

// Deliveries returns a copy of every delivery attempt made by [Fake.Emit] so
// far, in the order they finished: redeliveries included, and attempts cut
// short by a cancelled context or Close.
func (fk *Fake) Deliveries() []Delivery {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return slices.Clone(fk.deliveries)
}
