package fakesmtp2go

import (
	"slices"
	"strings"
)

// The vocabulary of a webhook's fields, as SMTP2GO's documentation spells it
// (developers.smtp2go.com: add-webhook, webhooks-overview). It is written
// here, not taken from the SDK, so that the fake disagrees with an SDK that
// gets the wire wrong.
var (
	// emailEvents are the names a webhook's events list may hold.
	emailEvents = []string{"processed", "delivered", "open", "click", "bounce", "spam", "unsubscribe", "resubscribe", "reject"}
	// smsEvents are the names a webhook's sms_events list may hold; their
	// deliveries name them with "sms_" in front.
	smsEvents = []string{"delivered", "failed", "rejected", "sending", "submitted"}
	// authTypes are the values of auth_header_type.
	authTypes = []string{authNone, authBearer, authBasic}
)

// Values of output_format and auth_header_type.
const (
	formatForm = "form"
	formatJSON = "json"
	authNone   = ""
	authBearer = "bearer"
	authBasic  = "basic"
)

// firstWebhookID is the ID of the first webhook a Fake creates. IDs come
// from one counter shared by all accounts, as a database sequence would give.
const firstWebhookID = 1001

// Webhook is a webhook as the fake stores it: the members of SMTP2GO's
// webhook object, each as the wire carries it.
type Webhook struct {
	ID              int64    // from one counter over all accounts, from 1001
	URL             string   // where deliveries go
	Events          []string // email event names
	SMSEvents       []string // SMS event names, without "sms_"
	Headers         []string // custom header names copied into deliveries
	Usernames       []string // senders whose mail triggers it; empty: all
	OutputFormat    string   // "form" or "json"
	AuthHeaderType  string   // "", "bearer" or "basic"
	AuthHeaderValue string   // in clear
}

// clone copies w with lists of its own, so that callers cannot change the
// stored state through them. Lists are never nil.
func (w Webhook) clone() Webhook {
	w.Events = cloneList(w.Events)
	w.SMSEvents = cloneList(w.SMSEvents)
	w.Headers = cloneList(w.Headers)
	w.Usernames = cloneList(w.Usernames)
	return w
}

func cloneList(s []string) []string {
	return append(make([]string, 0, len(s)), s...)
}

// subscribes reports whether w subscribes to the event named event (as the
// "event" field of a delivery names it): an email event is matched against
// its events, an SMS event ("sms_delivered"…) against its sms_events.
func (w Webhook) subscribes(event string) bool {
	if sms, ok := strings.CutPrefix(event, "sms_"); ok {
		return slices.Contains(w.SMSEvents, sms)
	}
	return slices.Contains(w.Events, event)
}

// store holds the webhooks of the main account (key "") and of each
// subaccount (key: its subaccount_id). It is not safe for concurrent use: the
// Fake guards it with its mutex.
type store struct {
	nextID   int64
	accounts map[string][]Webhook // in creation order, so by ID
}

func newStore() store {
	return store{nextID: firstWebhookID, accounts: make(map[string][]Webhook)}
}

// list returns a deep copy of an account's webhooks, never nil.
func (st *store) list(account string) []Webhook {
	hooks := st.accounts[account]
	out := make([]Webhook, len(hooks))
	for i := range hooks {
		out[i] = hooks[i].clone()
	}
	return out
}

// count returns how many webhooks an account has.
func (st *store) count(account string) int { return len(st.accounts[account]) }

// index returns the position of webhook id in an account, or -1.
func (st *store) index(account string, id int64) int {
	return slices.IndexFunc(st.accounts[account], func(w Webhook) bool { return w.ID == id })
}

// get returns a copy of webhook id of an account.
func (st *store) get(account string, id int64) (Webhook, bool) {
	i := st.index(account, id)
	if i < 0 {
		return Webhook{}, false
	}
	return st.accounts[account][i].clone(), true
}

// add stores w under a new ID and returns the stored copy.
func (st *store) add(account string, w Webhook) Webhook {
	w = w.clone()
	w.ID = st.nextID
	st.nextID++
	st.accounts[account] = append(st.accounts[account], w)
	return w.clone()
}

// replace stores w in place of the webhook with w's ID. It reports whether
// there was one.
func (st *store) replace(account string, w Webhook) bool {
	i := st.index(account, w.ID)
	if i < 0 {
		return false
	}
	st.accounts[account][i] = w.clone()
	return true
}

// remove deletes webhook id of an account and returns it.
func (st *store) remove(account string, id int64) (Webhook, bool) {
	i := st.index(account, id)
	if i < 0 {
		return Webhook{}, false
	}
	w := st.accounts[account][i]
	st.accounts[account] = slices.Delete(st.accounts[account], i, i+1)
	if len(st.accounts[account]) == 0 {
		delete(st.accounts, account)
	}
	return w, true
}

// subscribers returns copies of an account's webhooks that subscribe to
// event. It does not apply the usernames filter, which depends on who sent
// the email.
func (st *store) subscribers(account string, event string) []Webhook {
	var out []Webhook
	for _, w := range st.accounts[account] {
		if w.subscribes(event) {
			out = append(out, w.clone())
		}
	}
	return out
}
