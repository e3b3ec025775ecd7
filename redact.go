package smtp2go

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Secrets, in one place: what the SDK hides when a value is printed or
// logged, and what it keeps out of error strings.
//
// A secret is the API key, a webhook's auth value, the password in a
// webhook URL's user info (or its user name, when it has no password), a
// webhook URL's query values (and its query keys that have no value), and
// a webhook username that is an API key ("api-…": usernames may be SMTP users, API
// keys or IP addresses). Every exported type that can hold one hides it in
// String, GoString and LogValue. Errors are scrubbed when they are made:
// every string that comes from SMTP2GO (message, code, field errors,
// request ID, body excerpt) has the call's secrets removed in each form an
// echo could take, and any API-key-shaped word masked.
//
// What is not hidden: a Webhook's JSON encoding, which is the API's and
// holds its auth value (so that it can be stored and sent back); and so a
// bare []Webhook given to slog's JSON handler, which encodes slices with
// encoding/json. A WebhookList (ListWebhooksResponse.Webhooks is one) is
// logged redacted: log one of those, or each Webhook, instead.

// redacted stands in for a secret.
const redacted = "[redacted]"

// RedactURL returns s with the secrets a webhook URL may carry replaced:
// a password in its user info by "xxxxx", and so a user name given without
// one (https://tok123456@host/, a token by itself); every query value by
// "REDACTED", and a query key without a value (?s3cretvalue, a token by
// itself) by "REDACTED" too. A URL written without its scheme
// ("user:pass@host:8025", which url.Parse reads as the scheme "user", or
// "127.0.0.1:8025", which it refuses) is read as one that starts with its
// host, and shown so. A string that does not parse as a URL even so is
// returned as "[unparsable URL]". A secret in the path cannot be told apart
// and is kept.
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		// Written without "scheme://": read it as a host with no scheme,
		// where "user:pass@" is user info.
		if v, verr := url.Parse("//" + s); verr == nil && v.Host != "" && !strings.Contains(s, "://") {
			return strings.TrimPrefix(redactParsedURL(v), "//")
		}
		switch {
		case err != nil:
			return "[unparsable URL]"
		case strings.Contains(u.Opaque, "@"):
			// What precedes the last "@" may be a password.
			u.Opaque = redactedUser + u.Opaque[strings.LastIndex(u.Opaque, "@"):]
		}
	}
	return redactParsedURL(u)
}

// redactParsedURL is RedactURL of a URL once parsed.
func redactParsedURL(u *url.URL) string {
	if _, hasPassword := u.User.Password(); u.User != nil && !hasPassword && u.User.Username() != "" {
		u.User = url.User(redactedUser)
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, pair := range pairs {
			if key, _, hasValue := strings.Cut(pair, "="); hasValue {
				pairs[i] = key + "=REDACTED"
			} else if key != "" {
				pairs[i] = "REDACTED" // a key without a value is the secret itself
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	return u.Redacted()
}

// redactedUser stands for a user name that is a secret, as url.URL.Redacted
// writes a password.
const redactedUser = "xxxxx"

// redactValue hides a secret but says whether one was set.
func redactValue(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

func isAPIKey(s string) bool { return strings.HasPrefix(s, "api-") }

// redactUsernames returns names with those that are API keys cut to
// "api-[redacted]"; names itself when there are none.
func redactUsernames(names []string) []string {
	if !slices.ContainsFunc(names, isAPIKey) {
		return names
	}
	out := make([]string, len(names))
	for i, n := range names {
		if isAPIKey(n) {
			n = "api-" + redacted
		}
		out[i] = n
	}
	return out
}

// Redacted returns a copy of w safe to print or log: the auth value replaced
// by "[redacted]" (when there is one), the URL through [RedactURL], and
// usernames that are API keys ("api-…": a webhook's usernames may be SMTP
// users, API keys or IP addresses) cut to "api-[redacted]".
func (w Webhook) Redacted() Webhook {
	w.AuthHeaderValue = redactValue(w.AuthHeaderValue)
	w.URL = RedactURL(w.URL)
	w.Usernames = redactUsernames(w.Usernames)
	return w
}

// String describes the webhook with its secrets redacted (see
// [Webhook.Redacted]), so that printing a Webhook never reveals them.
func (w Webhook) String() string {
	type plain Webhook // drops the String method
	return fmt.Sprintf("%+v", plain(w.Redacted()))
}

// GoString is String, so that %#v hides the secrets too.
func (w Webhook) GoString() string { return "smtp2go.Webhook" + w.String() }

// LogValue makes slog log the webhook with its secrets redacted.
func (w Webhook) LogValue() slog.Value {
	r := w.Redacted()
	return slog.GroupValue(
		slog.Int64("id", r.ID),
		slog.String("url", r.URL),
		slog.Any("events", r.Events),
		slog.Any("sms_events", r.SMSEvents),
		slog.Any("headers", r.Headers),
		slog.Any("usernames", r.Usernames),
		slog.String("output_format", string(r.OutputFormat)),
		slog.String("auth_header_type", string(r.AuthHeaderType)),
		slog.String("auth_header_value", r.AuthHeaderValue),
	)
}

// String describes the request with its secrets redacted.
func (r AddWebhookRequest) String() string {
	return r.webhook().String() + subaccountSuffix(r.SubaccountID)
}

// GoString is String, so that %#v hides the secrets too.
func (r AddWebhookRequest) GoString() string { return "smtp2go.AddWebhookRequest" + r.String() }

// LogValue makes slog log the request with its secrets redacted.
func (r AddWebhookRequest) LogValue() slog.Value {
	v := r.webhook().LogValue()
	if r.SubaccountID == "" {
		return v
	}
	return slog.GroupValue(append(v.Group(), slog.String("subaccount_id", r.SubaccountID))...)
}

// redactedFields returns the fields r sets, secrets redacted, in the order
// of the type.
func (r EditWebhookRequest) redactedFields() []slog.Attr {
	attrs := []slog.Attr{slog.Int64("ID", r.ID)}
	if r.URL != nil {
		attrs = append(attrs, slog.String("URL", RedactURL(*r.URL)))
	}
	if r.Events != nil {
		attrs = append(attrs, slog.Any("Events", r.Events))
	}
	if r.SMSEvents != nil {
		attrs = append(attrs, slog.Any("SMSEvents", r.SMSEvents))
	}
	if r.Headers != nil {
		attrs = append(attrs, slog.Any("Headers", r.Headers))
	}
	if r.Usernames != nil {
		attrs = append(attrs, slog.Any("Usernames", redactUsernames(r.Usernames)))
	}
	if r.OutputFormat != nil {
		attrs = append(attrs, slog.String("OutputFormat", string(*r.OutputFormat)))
	}
	if r.AuthHeaderType != nil {
		attrs = append(attrs, slog.String("AuthHeaderType", string(*r.AuthHeaderType)))
	}
	if r.AuthHeaderValue != nil {
		attrs = append(attrs, slog.String("AuthHeaderValue", redactValue(*r.AuthHeaderValue)))
	}
	if r.SubaccountID != "" {
		attrs = append(attrs, slog.String("SubaccountID", r.SubaccountID))
	}
	return attrs
}

// String describes the fields the request sets, with its secrets redacted.
func (r EditWebhookRequest) String() string {
	var b strings.Builder
	b.WriteString("{")
	for i, a := range r.redactedFields() {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%v", a.Key, a.Value)
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v hides the secrets too.
func (r EditWebhookRequest) GoString() string { return "smtp2go.EditWebhookRequest" + r.String() }

// LogValue makes slog log the fields the request sets, with its secrets
// redacted.
func (r EditWebhookRequest) LogValue() slog.Value { return slog.GroupValue(r.redactedFields()...) }

// LogValue makes slog log the response with the webhook's secrets redacted.
func (r AddWebhookResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("request_id", r.RequestID), slog.Any("webhook", r.Webhook.LogValue()))
}

// LogValue makes slog log the response with the webhooks' secrets redacted.
func (r ListWebhooksResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("request_id", r.RequestID), slog.Any("webhooks", r.Webhooks))
}

// LogValue makes slog log the webhooks with their secrets redacted (see
// [Webhook.Redacted]): slog's JSON handler encodes the redacted copies as
// a JSON array, its text handler prints each as [Webhook.String] does.
func (l WebhookList) LogValue() slog.Value {
	out := make([]Webhook, len(l))
	for i, w := range l {
		out[i] = w.Redacted()
	}
	return slog.AnyValue(out)
}

// LogValue makes slog log the response with the webhook's secrets redacted.
func (r EditWebhookResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("request_id", r.RequestID), slog.Any("webhook", r.Webhook.LogValue()))
}

// LogValue makes slog log the response with the webhook's secrets redacted.
func (r RemoveWebhookResponse) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("request_id", r.RequestID)}
	if r.Webhook != nil {
		attrs = append(attrs, slog.Any("webhook", r.Webhook.LogValue()))
	}
	return slog.GroupValue(attrs...)
}

// LogValue makes slog log the response with the webhook's secrets redacted.
// Its Changes hold no secret: they are made masked.
func (r EnsureWebhookResponse) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("request_id", r.RequestID),
		slog.String("action", string(r.Action)),
		slog.Any("webhook", r.Webhook.LogValue()),
		slog.Any("changes", r.Changes),
		slog.Any("removed", r.Removed),
	)
}

// String describes the client without its API key.
func (c *Client) String() string {
	if c == nil {
		return "smtp2go.Client(nil)"
	}
	return fmt.Sprintf("smtp2go.Client{BaseURL: %q, APIKey: %q}", c.BaseURL(), redactValue(c.apiKey))
}

// GoString is String, so that %#v does not print the API key either.
func (c *Client) GoString() string { return c.String() }

// LogValue makes slog log the client without its API key.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue(c.String())
	}
	return slog.GroupValue(slog.String("base_url", c.BaseURL()), slog.String("api_key", redactValue(c.apiKey)))
}

func subaccountSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (subaccount " + id + ")"
}

// secretHolder is a request body with secrets of its own (an auth value, a
// password or token in a URL, usernames that are API keys) that must be
// kept out of errors.
type secretHolder interface{ secrets() []string }

// secrets returns what must not appear in the error of a call sending in:
// the API key and the secrets of in.
func (c *Client) secrets(in any) []string {
	out := []string{c.apiKey}
	if h, ok := in.(secretHolder); ok {
		out = append(out, h.secrets()...)
	}
	return out
}

func (r *AddWebhookRequest) secrets() []string {
	return webhookSecrets(r.URL, r.AuthHeaderValue, r.Usernames)
}

func (b *editBody) secrets() []string { return webhookSecrets(b.URL, b.AuthHeaderValue, b.Usernames) }

func webhookSecrets(rawURL, authValue string, usernames []string) []string {
	out := append(urlSecrets(rawURL), secretForms(authValue)...)
	for _, n := range usernames {
		if isAPIKey(n) {
			out = append(out, secretForms(n)...)
		}
	}
	return out
}

// minSecretLen is the length below which a value is not scrubbed: shorter
// ones are no secrets worth the name, and removing them would garble errors.
const minSecretLen = 4

// secretForms returns s in every form an error body may echo it in: as it
// is, percent-encoded for a query or a path, and JSON-escaped (also with "/"
// written "\/"). None for a value shorter than minSecretLen.
func secretForms(s string) []string {
	if len(s) < minSecretLen {
		return nil
	}
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if j, err := json.Marshal(s); err == nil {
		escaped := string(j[1 : len(j)-1])
		forms = append(forms, escaped, strings.ReplaceAll(escaped, "/", `\/`))
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// urlSecrets returns the secrets of a webhook URL (its password, or its user
// name when it has no password; its query values, and its query keys that
// have no value) in every form an error may echo them in, the raw one of
// the URL included.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		secret, hasPassword := u.User.Password()
		if !hasPassword {
			secret = u.User.Username()
		}
		out = append(out, secretForms(secret)...)
		rawUser, rawPass, hasPassword := strings.Cut(u.User.String(), ":")
		if !hasPassword {
			rawPass = rawUser
		}
		out = append(out, secretForms(rawPass)...)
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		rawKey, rawValue, hasValue := strings.Cut(pair, "=")
		if !hasValue {
			rawValue = rawKey // a key without a value is the secret itself
		}
		out = append(out, secretForms(rawValue)...)
		if v, err := url.QueryUnescape(rawValue); err == nil {
			out = append(out, secretForms(v)...)
		}
	}
	return out
}

// apiKeyWord matches a word shaped like an SMTP2GO API key ("api-" and 32
// letters and digits; test keys may be shorter): SMTP2GO may echo a key
// this client does not know, such as a username of another webhook.
var apiKeyWord = regexp.MustCompile(`api-[A-Za-z0-9]{16,}`)

// scrub removes every secret in secrets from s, longest first, so that no
// part of a longer one survives the removal of a shorter one, and masks any
// word shaped like an API key.
func scrub(s string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	if strings.Contains(s, "api-") {
		s = apiKeyWord.ReplaceAllString(s, "api-"+redacted)
	}
	return s
}

// maxExcerpt bounds APIError.Body.
const maxExcerpt = 256

// excerpt turns a body into a short printable snippet: secrets removed
// (before anything is cut, so no part of one survives), whitespace runs
// folded, control characters dropped, cut at maxExcerpt bytes.
func excerpt(body []byte, secrets []string) string {
	text := scrub(string(body), secrets)
	var b strings.Builder
	space := false
	for i, r := range text {
		if b.Len() >= maxExcerpt {
			return b.String() + "…"
		}
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(text[i:], "\uFFFD"):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
