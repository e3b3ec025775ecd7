package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/relaykit/smtp2go"
)

// enum is the set of values a flag, a variable or a member of a JSON file
// takes. Values are matched case-insensitively; a mistake lists the valid
// ones and suggests the nearest.
type enum struct {
	what    string            // what one value is, for messages: "event", "format"
	values  []string          // the canonical values, in the order messages list them
	aliases map[string]string // other spellings accepted (lowercase) → canonical value
}

var (
	outputEnum = enum{what: "output format", values: []string{"text", "json"}, aliases: map[string]string{"table": "text"}}
	formatEnum = enum{what: "format", values: []string{string(smtp2go.OutputForm), string(smtp2go.OutputJSON)}}
	authEnum   = enum{what: "auth type", values: []string{string(smtp2go.AuthBearer), string(smtp2go.AuthBasic), "none"}}
	regionEnum = enum{what: "region", values: []string{string(smtp2go.RegionGlobal), string(smtp2go.RegionUS), string(smtp2go.RegionEU), string(smtp2go.RegionAU)}}
	// emailEventEnum is what a webhook's events list holds.
	emailEventEnum = enum{what: "event", values: names(smtp2go.EmailEventTypes())}
	// smsEventEnum is what a webhook's sms_events list holds: the API's
	// short names, or the names deliveries carry ("sms_delivered").
	smsEventEnum = enum{what: "SMS event", values: names(smtp2go.SMSEventTypes()), aliases: smsLongNames()}
	// deliveryEventEnum is what a delivery's "event" field names: an email
	// event or "sms_" and an SMS event. An SMS event's short name is
	// accepted where no email event has it ("failed" but not "delivered").
	deliveryEventEnum = enum{what: "event", values: deliveryEvents(), aliases: smsShortNames()}
)

func names[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

func smsLongNames() map[string]string {
	m := map[string]string{}
	for _, t := range smtp2go.SMSEventTypes() {
		m[string(t.EventType())] = string(t)
	}
	return m
}

func deliveryEvents() []string {
	out := names(smtp2go.EmailEventTypes())
	for _, t := range smtp2go.SMSEventTypes() {
		out = append(out, string(t.EventType()))
	}
	return out
}

func smsShortNames() map[string]string {
	m := map[string]string{}
	for _, t := range smtp2go.SMSEventTypes() {
		if !smtp2go.EventType(t).Valid() {
			m[string(t)] = string(t.EventType())
		}
	}
	return m
}

// parse returns the canonical value s stands for. where names what the user
// set: a flag ("--format"), a variable or a member of a file.
func (en enum) parse(where, s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	for _, c := range en.values {
		if v == c {
			return c, nil
		}
	}
	if c, ok := en.aliases[v]; ok {
		return c, nil
	}
	msg := fmt.Sprintf("unknown %s %q", en.what, s)
	if near := suggest(v, append(en.values, mapKeys(en.aliases)...)); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	msg += "; valid: " + strings.Join(en.values, ", ")
	if where != "" {
		msg = where + ": " + msg
	}
	return "", &usageError{msg: msg}
}

// parseList parses a list of values: each is parsed, "all" (alone) stands
// for every value, and an empty list is empty, not nil.
func (en enum) parseList(where string, list []string) ([]string, error) {
	if len(list) == 1 && strings.EqualFold(strings.TrimSpace(list[0]), "all") {
		return append([]string(nil), en.values...), nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		v, err := en.parse(where, s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// suggest returns the candidate nearest to s, if one is near enough to be a
// likely typo (two edits, or a third of its length), or one that starts with
// s or that s starts with; else "".
func suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(s, strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if best != "" && bestDist < len(s) && bestDist <= max(2, len(s)/3) {
		return best
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(s) >= 2 && len(lc) >= 2 && (strings.HasPrefix(lc, s) || strings.HasPrefix(s, lc)) {
			return c
		}
	}
	return ""
}

// editDistance is the number of insertions, deletions, substitutions and
// swaps of adjacent bytes that turn a into b (optimal string alignment).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
