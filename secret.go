package smtp2go

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Secret holds a credential: an auth header value. It prints, logs and
// marshals to JSON as "[redacted]" (an empty Secret as ""), so a value that
// holds one is safe in fmt, slog and json.Marshal; only the SDK's own wire
// encoding needs [Secret.Reveal]. A Secret that reads "[redacted]", or a
// mask SMTP2GO shows ("********"), is refused before sending: sent, it would
// replace the real secret.
type Secret string

// redacted stands in for a secret.
const redacted = "[redacted]"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format writes String for every verb; %q and %#v quote it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	io.WriteString(f, s.String())
}

// LogValue makes slog log String, with text and JSON handlers alike.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// RedactURL returns s with the secrets a webhook URL, or a webhook
// username, may carry replaced: a password in its user info by "[redacted]",
// and so a user name given without one (https://tok123456@host/, a token
// by itself); every query value, and a query key without a value
// (?s3cretvalue), by "[redacted]" too; a username that is an API key
// ("api-…": usernames may be SMTP users, API keys or IP addresses) by
// "api-[redacted]". A URL written without its scheme ("user:pass@host:8025")
// is read as one that starts with its host, and shown so. A string that
// does not parse as a URL even so is returned as "[unparsable URL]". A
// secret in the path cannot be told apart and is kept.
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	if isAPIKey(s) {
		return "api-" + redacted
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
			u.Opaque = redacted + u.Opaque[strings.LastIndex(u.Opaque, "@"):]
		}
	}
	return redactParsedURL(u)
}

// redactParsedURL is RedactURL of a URL once parsed. It writes the user info
// itself: url.URL would escape the marker's brackets, and its Redacted
// writes another marker.
func redactParsedURL(u *url.URL) string {
	var user string
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			user = url.User(u.User.Username()).String() + ":" + redacted + "@"
		} else if u.User.Username() != "" {
			user = redacted + "@" // a user name alone is a token
		}
		u.User = nil
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, pair := range pairs {
			if key, _, hasValue := strings.Cut(pair, "="); hasValue {
				pairs[i] = key + "=" + redacted
			} else if key != "" {
				pairs[i] = redacted // a key without a value is the secret itself
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	out := u.String()
	if i := strings.Index(out, "//"); user != "" && i >= 0 {
		out = out[:i+2] + user + out[i+2:]
	}
	return out
}

// isAPIKey reports whether a webhook username is an API key.
func isAPIKey(s string) bool { return strings.HasPrefix(s, "api-") && !strings.ContainsAny(s, "/:@?") }

// redactAll returns names through RedactURL; names itself when none changes.
func redactAll(names []string) []string {
	if !slices.ContainsFunc(names, isAPIKey) {
		return names
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = RedactURL(n)
	}
	return out
}

// secrets returns what must not appear in the error of a call that sends
// w: the API key, w's auth value and the secrets of its URL, each in every
// form an echo of the request can take. Usernames that are API keys, and
// keys this client does not know, scrub masks by their shape.
func (c *Client) secrets(w *Webhook) []string {
	out := secretForms(c.apiKey.Reveal())
	if w != nil {
		out = append(out, secretForms(w.AuthHeaderValue.Reveal())...)
		out = append(out, urlSecrets(w.URL)...)
	}
	return out
}

// minSecretLen is the length below which a value is not scrubbed: shorter
// ones are no secrets worth the name, and removing them would garble errors.
const minSecretLen = 4

// secretForms returns s as it is (as decoded JSON gives it back),
// percent-encoded, and as the request's JSON body carries it (with "<",
// ">" and "&" escaped, as encoding/json writes them), which a proxy's error
// page may echo. None for a value shorter than minSecretLen.
func secretForms(s string) []string {
	if len(s) < minSecretLen {
		return nil
	}
	j, _ := json.Marshal(s) // a string always marshals
	escaped := string(j[1 : len(j)-1])
	forms := []string{s, url.QueryEscape(s), escaped}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// urlSecrets returns the secrets of a webhook URL (its password, or its user
// name when it has no password; its query values, and its query keys that
// have no value), each as written in the URL and decoded.
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
// letters and digits; test keys may be shorter): a username that is one,
// or a key SMTP2GO echoes that this client does not know.
var apiKeyWord = regexp.MustCompile(`api-[A-Za-z0-9]{16,}`)

// scrub removes every secret in secrets from s, longest first, so that no
// part of a longer one survives the removal of a shorter one, and masks any
// word shaped like an API key.
func scrub(s string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return apiKeyWord.ReplaceAllString(s, "api-"+redacted)
}
