package smtp2go

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// EnsureAction says what [WebhooksService.Ensure] did.
type EnsureAction string

// Ensure outcomes; [WebhooksService.Ensure] says when each is returned.
const (
	// EnsureCreated: the webhook returned was added by this call or, when
	// processes race, by another one at the same time.
	EnsureCreated   EnsureAction = "created"
	EnsureUpdated   EnsureAction = "updated"   // Ensure edited the webhook; Changes says how
	EnsureUnchanged EnsureAction = "unchanged" // only duplicates, if any, were removed
)

// EnsureWebhookResponse is what [WebhooksService.Ensure] returns.
type EnsureWebhookResponse struct {
	RequestID string        // request_id of the last call made
	Webhook   Webhook       // the webhook as it now is
	Action    EnsureAction  // what Ensure did
	Changes   []FieldChange // for EnsureUpdated, the settings the edit changed, in the order of the API's fields
	Removed   []int64       // duplicates of the webhook that this call removed, lowest first
}

// FieldChange is one setting an edit by Ensure changed. Old and New are as
// a person would read them (lists joined with ", "), with secrets masked:
// an auth value reads "[redacted]" (or "" for none), a username that is an
// API key "api-[redacted]".
type FieldChange struct {
	Field string // the API's name for the setting, such as "events" or "auth_header_value"
	Old   string // the setting before the edit
	New   string // the setting the edit sent
}

// ErrDuplicateURL is matched by the error of Ensure and Plan when several
// webhooks have the URL and are not all set up identically: they may be
// meant to differ (several usernames filters, say), so Ensure leaves them alone.
var ErrDuplicateURL = errors.New("smtp2go: several webhooks have this URL")

// EnsurePlan is what [WebhooksService.Ensure] would do, as
// [WebhooksService.Plan] reports it.
type EnsurePlan struct {
	Action  EnsureAction  // EnsureCreated, EnsureUpdated or EnsureUnchanged
	Webhook *Webhook      // the webhook Ensure would keep (and edit, for EnsureUpdated); nil for EnsureCreated
	Changes []FieldChange // for EnsureUpdated, the settings the edit would change; for EnsureCreated, those the add sets; secrets masked
	Remove  []int64       // identical duplicates Ensure would remove, lowest ID first
}

// Plan says what Ensure would do for req now, sending only webhook/view:
// nothing is changed. It fails as Ensure would: with a [*ValidationError]
// for an invalid request, and with an error matching [ErrDuplicateURL]
// when webhooks with the URL are set up differently.
func (s *WebhooksService) Plan(ctx context.Context, req *AddWebhookRequest) (*EnsurePlan, error) {
	if _, err := s.clientOrErr(); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	list, err := s.List(ctx, &ListWebhooksRequest{SubaccountID: req.SubaccountID})
	if err != nil {
		return nil, err
	}
	return plan(list.Webhooks, req)
}

// plan is what Ensure does about the webhooks of list for req, as Ensure's
// doc says: the one place that says which webhooks are the same.
func plan(list []Webhook, req *AddWebhookRequest) (*EnsurePlan, error) {
	want := req.webhook()
	same := slices.DeleteFunc(slices.Clone(list), func(w Webhook) bool { return w.URL != req.URL })
	slices.SortFunc(same, func(a, b Webhook) int { return cmp.Compare(a.ID, b.ID) }) // the lowest ID is kept
	if len(same) == 0 {
		return &EnsurePlan{Action: EnsureCreated, Changes: changed(&Webhook{}, &want)}, nil
	}
	kept := same[0]
	p := &EnsurePlan{Action: EnsureUnchanged, Webhook: &kept}
	for _, w := range same[1:] {
		// Looked at from either side: an auth value withheld in one and
		// shown in the other may differ.
		if !sameSettings(&w, &kept) || !sameSettings(&kept, &w) {
			return nil, duplicateURL(req.URL, same)
		}
		p.Remove = append(p.Remove, w.ID)
	}
	if p.Changes = changed(&kept, &want); len(p.Changes) > 0 {
		p.Action = EnsureUpdated
	}
	return p, nil
}

// Ensure makes the account have exactly one webhook with req.URL, set up as
// req says: the idempotent way to provision a webhook, safe to run in every
// replica of a service at once. It lists the webhooks and carries out what
// [WebhooksService.Plan] says of those whose URL equals req.URL exactly:
//
//   - none: it adds one (EnsureCreated), then lists again, since other
//     processes may have added one at the same time;
//   - one that [Webhook.Matches] req: nothing is sent (EnsureUnchanged). An
//     auth value SMTP2GO withholds counts as equal, so rotate secrets with
//     Edit;
//   - one set up differently: it edits it to match req (EnsureUpdated, with
//     Changes);
//   - several, all set up identically: they are duplicates, left by racing
//     processes or by one that died between adding and cleaning up. Ensure
//     keeps the lowest ID, removes the others (one already gone counts as
//     removed), lists again, and goes on with the one kept. Every process
//     that sees the same duplicates removes the same ones, so processes
//     running Ensure at once end with one webhook, and later calls succeed;
//   - several set up differently: it changes nothing and returns an error
//     matching [ErrDuplicateURL] that names their IDs.
//
// Ensure retries no failed call beyond the client's retries. An add that
// fails ambiguously (a timeout, a 5xx…) is settled by the next list: a
// webhook with the URL is taken as the one created; if there is none,
// Ensure adds again while its attempts at webhook/add are fewer than the
// client's retries plus one. If they are not, or that list fails, or the
// context ends first, Ensure returns an [*OutcomeUnknownError]. A list that
// fails after an add that succeeded is an error too, the list's: a racer
// may have removed that webhook as a duplicate of its own, and only a list
// tells which one is kept; Ensure again settles it. An add refused because
// the plan's webhook limit is reached (by racers, perhaps) fails only if the
// next list shows no webhook with the URL.
//
// The calls of one Client for one URL take turns, so that one process never
// races itself into a duplicate (which would also take a place of the
// plan's webhook limit until it is removed).
func (s *WebhooksService) Ensure(ctx context.Context, req *AddWebhookRequest) (*EnsureWebhookResponse, error) {
	c, err := s.clientOrErr()
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	unlock, err := s.locks.Lock(ctx, req.SubaccountID+"\x00"+req.URL, s.onEnsureWait)
	if err != nil {
		return nil, fmt.Errorf("smtp2go: ensure: %w", err)
	}
	defer unlock()
	list, err := s.List(ctx, &ListWebhooksRequest{SubaccountID: req.SubaccountID})
	if err != nil {
		return nil, err
	}
	e := &ensure{
		s: s, c: c, req: req,
		res:       EnsureWebhookResponse{Action: EnsureUnchanged},
		addsLeft:  c.retryMax + 1,
		looksLeft: c.retryMax + 2, // the look after a change, and those after a racer's
	}
	return e.converge(ctx, list)
}

// ensure is one call of Ensure: what it did, and what it may still do.
type ensure struct {
	s   *WebhooksService
	c   *Client
	req *AddWebhookRequest
	res EnsureWebhookResponse

	adds      int                 // webhook/add calls made
	addsLeft  int                 // webhook/add attempts it may still make
	looksLeft int                 // lists it may still make after the first
	addErr    error               // why the last add failed, while it may still be settled by a look
	added     *AddWebhookResponse // the webhook an add of this call created, once one has
}

// converge carries out the plan of what a list shows and lists again,
// until one webhook has the URL.
func (e *ensure) converge(ctx context.Context, list *ListWebhooksResponse) (*EnsureWebhookResponse, error) {
	for {
		p, err := plan(list.Webhooks, e.req)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Action != EnsureCreated:
			e.addErr = nil // whatever an add did, a webhook with the URL is there
			if len(p.Remove) == 0 || e.looksLeft <= 0 {
				// Any left are racers' adds, which they remove themselves, or
				// removes that keep failing, left for the next Ensure.
				return e.settle(ctx, p, list.RequestID)
			}
			if err := e.removeDuplicates(ctx, p.Remove); err != nil {
				return nil, err
			}
		case e.added != nil:
			// The add succeeded, and the list has not caught up with it:
			// look again rather than add a second one, and when no look
			// is left, go on with the webhook the add returned.
			if e.looksLeft <= 0 {
				e.res.RequestID, e.res.Webhook = e.added.RequestID, e.added.Webhook
				return &e.res, nil
			}
		default:
			if err := e.add(ctx); err != nil {
				return nil, err
			}
		}
		e.looksLeft--
		if list, err = e.s.List(ctx, &ListWebhooksRequest{SubaccountID: e.req.SubaccountID}); err != nil {
			// Even after an add that succeeded: Ensure's doc says why.
			return nil, e.unsettled(ctx, err)
		}
	}
}

// unsettled is the error of an Ensure that ends with lookErr, the failure
// of the look that was to settle an add, when that add failed ambiguously:
// what Add would say, an error that matches ErrOutcomeUnknown.
func (e *ensure) unsettled(ctx context.Context, lookErr error) error {
	if e.addErr == nil || classify(e.addErr) != failUnknown {
		return lookErr
	}
	return &OutcomeUnknownError{Endpoint: "webhook/add", Err: e.addErr, looked: true, lookErr: lookErr, cut: ctx.Err()}
}

// add adds the webhook, none having the URL. An add that may have been
// carried out, or that was refused perhaps because racers filled the plan,
// is left for the next look to settle.
func (e *ensure) add(ctx context.Context) error {
	switch {
	case e.addErr != nil && classify(e.addErr) != failUnknown:
		return e.addErr // refused, and the look found no webhook that would settle it
	case e.addErr != nil && e.addsLeft <= 0:
		// It may have been carried out, though the look shows none.
		return &OutcomeUnknownError{Endpoint: "webhook/add", Err: e.addErr, looked: true}
	}
	e.res.Action = EnsureCreated
	added, attempts, err := e.s.add(ctx, e.req)
	e.added = added
	e.adds++
	e.addsLeft -= max(attempts, 1)
	e.addErr = err
	switch {
	case err == nil:
	case classify(err) == failUnknown:
		// Give an add still under way at SMTP2GO time to land.
		if werr := sleep(ctx, backoff(e.c.retryWaitMin, e.c.retryWaitMax, e.adds-1, nil)); werr != nil {
			return &OutcomeUnknownError{Endpoint: "webhook/add", Err: err, cut: werr}
		}
	case errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrForbidden), errors.Is(err, ErrRequestFailed):
		// Maybe the plan's webhook limit, reached by racers' adds: their
		// webhook is the one wanted.
	default:
		return err
	}
	return nil
}

// removeDuplicates removes the webhooks of ids. A remove that fails is
// settled by the next look: one answered "not found", as when a racer
// removed it first, counts as done (but is not reported as removed by this
// call), and one still listed is removed again.
func (e *ensure) removeDuplicates(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		_, _, err := e.c.do(ctx, "webhook/remove", &RemoveWebhookRequest{ID: id, SubaccountID: e.req.SubaccountID}, nil, nil)
		switch {
		case err == nil && !slices.Contains(e.res.Removed, id): // listed again after its remove, and removed again
			e.res.Removed = append(e.res.Removed, id)
		case ctx.Err() != nil, errors.Is(err, ErrUnauthorized), errors.Is(err, ErrForbidden):
			return err
		}
	}
	return nil
}

// settle carries out the plan's edit, if it has one, and answers.
func (e *ensure) settle(ctx context.Context, p *EnsurePlan, requestID string) (*EnsureWebhookResponse, error) {
	e.res.RequestID, e.res.Webhook = requestID, *p.Webhook
	slices.Sort(e.res.Removed)
	if p.Action != EnsureUpdated {
		return &e.res, nil
	}
	want := e.req.webhook()
	want.ID = p.Webhook.ID
	edited, err := e.s.send(ctx, &want, e.req.SubaccountID, true)
	if err != nil {
		return nil, err
	}
	e.res.RequestID, e.res.Webhook, e.res.Action, e.res.Changes = edited.RequestID, edited.Webhook, EnsureUpdated, p.Changes
	return &e.res, nil
}

func duplicateURL(url string, same []Webhook) error {
	ids := make([]string, len(same))
	for i, w := range same {
		ids[i] = fmt.Sprint(w.ID)
	}
	return fmt.Errorf("%w: %s has ids %s, set up differently; remove all but one", ErrDuplicateURL, RedactURL(url), strings.Join(ids, ", "))
}

// Matches reports whether w has req's URL and is set up as req asks, as
// [WebhooksService.Ensure] judges it: lists compare as sets, an empty output
// format equals "form", and an auth value that w lacks or that looks masked
// (SMTP2GO may withhold it) is not compared. The subaccount is not part of a
// webhook and is ignored.
func (w Webhook) Matches(req *AddWebhookRequest) bool {
	if req == nil {
		return false
	}
	want := req.webhook()
	return w.URL == req.URL && sameSettings(&w, &want)
}

// sameSettings reports whether have is set up as want, URL aside.
func sameSettings(have, want *Webhook) bool {
	return !slices.ContainsFunc(settings, func(s setting) bool { return s.differ(have, want) })
}

// changed returns the settings in which have differs from want.
func changed(have, want *Webhook) []FieldChange {
	var out []FieldChange
	for _, s := range settings {
		if s.differ(have, want) {
			out = append(out, FieldChange{Field: s.field, Old: s.show(have), New: s.show(want)})
		}
	}
	return out
}

// setting is a field of a webhook, with how Ensure compares it and how a
// FieldChange shows it, secrets masked.
type setting struct {
	field  string
	differ func(have, want *Webhook) bool
	show   func(w *Webhook) string
}

// settings are every field of a webhook but its ID and its URL, which Ensure
// finds webhooks by: a field left out here is one Ensure would never set.
var settings = []setting{
	{"events", func(h, w *Webhook) bool { return !sameSet(h.Events, w.Events) }, func(w *Webhook) string { return joinNames(w.Events) }},
	{"sms_events", func(h, w *Webhook) bool { return !sameSet(h.SMSEvents, w.SMSEvents) }, func(w *Webhook) string { return joinNames(w.SMSEvents) }},
	{"headers", func(h, w *Webhook) bool { return !sameSet(h.Headers, w.Headers) }, func(w *Webhook) string { return joinNames(w.Headers) }},
	{"usernames", func(h, w *Webhook) bool { return !sameSet(h.Usernames, w.Usernames) }, func(w *Webhook) string { return joinNames(redactAll(w.Usernames)) }},
	{"output_format", func(h, w *Webhook) bool { return formatOrDefault(h.OutputFormat) != formatOrDefault(w.OutputFormat) },
		func(w *Webhook) string { return string(formatOrDefault(w.OutputFormat)) }},
	{"auth_header_type", func(h, w *Webhook) bool { return h.AuthHeaderType != w.AuthHeaderType }, func(w *Webhook) string { return string(w.AuthHeaderType) }},
	// A value SMTP2GO withholds or masks cannot be compared: it counts as equal.
	{"auth_header_value", func(h, w *Webhook) bool {
		return h.AuthHeaderValue != "" && !looksMasked(h.AuthHeaderValue) && h.AuthHeaderValue != w.AuthHeaderValue
	}, func(w *Webhook) string { return w.AuthHeaderValue.String() }},
}

// formatOrDefault reads an empty output format as SMTP2GO's default, form.
func formatOrDefault(f OutputFormat) OutputFormat { return cmp.Or(f, OutputForm) }

func sameSet[T ~string](a, b []T) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
