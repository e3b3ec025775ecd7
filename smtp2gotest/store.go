package smtp2gotest

import (
	"slices"
	"strings"

	"github.com/relaykit/smtp2go"
)

// firstWebhookID is the ID of the first webhook a Server creates. IDs come
// from one counter shared by all accounts, as a database sequence would give.
const firstWebhookID = 1001

// store holds the webhooks of the main account (key "") and of each
// subaccount (key: its subaccount_id). It is not safe for concurrent use: the
// Server guards it with its mutex.
type store struct {
	nextID   int64
	accounts map[string][]smtp2go.Webhook // in creation order, so by ID
}

func newStore() store {
	return store{nextID: firstWebhookID, accounts: make(map[string][]smtp2go.Webhook)}
}

// list returns a deep copy of an account's webhooks, never nil.
func (st *store) list(account string) []smtp2go.Webhook {
	hooks := st.accounts[account]
	out := make([]smtp2go.Webhook, len(hooks))
	for i := range hooks {
		out[i] = cloneWebhook(hooks[i])
	}
	return out
}

// count returns how many webhooks an account has.
func (st *store) count(account string) int { return len(st.accounts[account]) }

// index returns the position of webhook id in an account, or -1.
func (st *store) index(account string, id int64) int {
	return slices.IndexFunc(st.accounts[account], func(w smtp2go.Webhook) bool { return w.ID == id })
}

// get returns a copy of webhook id of an account.
func (st *store) get(account string, id int64) (smtp2go.Webhook, bool) {
	i := st.index(account, id)
	if i < 0 {
		return smtp2go.Webhook{}, false
	}
	return cloneWebhook(st.accounts[account][i]), true
}

// add stores w under a new ID and returns the stored copy.
func (st *store) add(account string, w smtp2go.Webhook) smtp2go.Webhook {
	w = cloneWebhook(w)
	w.ID = st.nextID
	st.nextID++
	st.accounts[account] = append(st.accounts[account], w)
	return cloneWebhook(w)
}

// replace stores w in place of the webhook with w's ID. It reports whether
// there was one.
func (st *store) replace(account string, w smtp2go.Webhook) bool {
	i := st.index(account, w.ID)
	if i < 0 {
		return false
	}
	st.accounts[account][i] = cloneWebhook(w)
	return true
}

// remove deletes webhook id of an account and returns it.
func (st *store) remove(account string, id int64) (smtp2go.Webhook, bool) {
	i := st.index(account, id)
	if i < 0 {
		return smtp2go.Webhook{}, false
	}
	w := st.accounts[account][i]
	st.accounts[account] = slices.Delete(st.accounts[account], i, i+1)
	if len(st.accounts[account]) == 0 {
		delete(st.accounts, account)
	}
	return w, true
}

// subscribers returns copies of an account's webhooks that subscribe to
// event: an email event (EventDelivered…) is matched against their events, an
// SMS event (EventSMSDelivered…) against their sms_events. It does not apply
// the usernames filter, which depends on who sent the email. This is the hook
// for delivering events to the registered URLs.
func (st *store) subscribers(account string, event smtp2go.EventType) []smtp2go.Webhook {
	var out []smtp2go.Webhook
	for _, w := range st.accounts[account] {
		match := slices.Contains(w.Events, event)
		if sms, ok := strings.CutPrefix(string(event), "sms_"); ok {
			match = slices.Contains(w.SMSEvents, smtp2go.SMSEventType(sms))
		}
		if match {
			out = append(out, cloneWebhook(w))
		}
	}
	return out
}

// cloneWebhook copies w with lists of its own, so that callers cannot change
// the stored state through them. Lists are never nil.
func cloneWebhook(w smtp2go.Webhook) smtp2go.Webhook {
	w.Events = cloneList(w.Events)
	w.SMSEvents = cloneList(w.SMSEvents)
	w.Headers = cloneList(w.Headers)
	w.Usernames = cloneList(w.Usernames)
	return w
}

func cloneList[T any](s []T) []T {
	return append(make([]T, 0, len(s)), s...)
}
