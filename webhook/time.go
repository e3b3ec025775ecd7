package webhook

import (
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the shapes of the times SMTP2GO has been seen to send, after
// parseTime has put a "T" between date and time, upper-cased the letters and
// taken off a "UTC" or "GMT" zone. time.Parse accepts a fraction of a second,
// with a dot or a comma, after the seconds of any of them.
var timeLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00", // RFC 3339: "time" and "sendtime"
	"2006-01-02T15:04:05",       // no zone: UTC
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
}

// parseTime reads the times SMTP2GO has been seen to send, and a few variants
// of them: RFC 3339 with or without a fraction or a zone (no zone is UTC),
// with a space or a "t" for the "T", a zone of Z, ±hh:mm, ±hhmm, ±hh or "UTC",
// optionally after a space; and Unix time in seconds (9 to 11 digits,
// optionally with a fraction) or milliseconds (13 digits). Anything else is
// the zero time. The result is UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if len(s) < len("2006-01-02T15:04:05") || s[4] != '-' {
		return parseUnixTime(s)
	}
	if s[10] == ' ' || s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	s = strings.ToUpper(s)
	if rest, ok := strings.CutSuffix(s, "UTC"); ok {
		s = rest
	} else if rest, ok := strings.CutSuffix(s, "GMT"); ok {
		s = rest
	}
	if i := strings.LastIndexByte(s, ' '); i > 10 {
		s = s[:i] + s[i+1:] // a space before the zone
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// parseUnixTime reads Unix seconds, with an optional fraction, or
// milliseconds; anything else is the zero time.
func parseUnixTime(s string) time.Time {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasFrac && !allDigits(frac)) {
		return time.Time{}
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	switch {
	case err != nil:
		return time.Time{}
	case len(intPart) >= 9 && len(intPart) <= 11:
		var nsec int64
		if hasFrac {
			nsec, _ = strconv.ParseInt((frac + "00000000")[:9], 10, 64)
		}
		return time.Unix(n, nsec).UTC()
	case len(intPart) == 13 && !hasFrac:
		return time.UnixMilli(n).UTC()
	}
	return time.Time{}
}

// allDigits reports whether s is a non-empty string of ASCII digits.
func allDigits(s string) bool {
	return s != "" && strings.TrimLeft(s, "0123456789") == ""
}
