package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/relaykit/smtp2go"
)

// bodyKeys are the members a webhook/add or webhook/edit body may have, as
// --from-json and apply read one. api_key, which SMTP2GO's cURL examples put
// in the body, is accepted and ignored: the key travels only in the
// X-Smtp2go-Api-Key header.
var bodyKeys = []string{
	"url", "events", "sms_events", "headers", "usernames", "output_format",
	"auth_header_type", "auth_header_value", "subaccount_id", "api_key",
}

// body is a webhook body read from a file: the fields it sets, as an edit,
// and its subaccount_id.
type body struct {
	fields       *smtp2go.EditWebhookRequest
	subaccountID string
}

// parseBody reads a webhook body strictly: an unknown key is an error that
// names it and lists the valid ones, every enum is read as the flags read
// it, and a member set to null says nothing. where prefixes every error.
func parseBody(where string, data []byte) (*body, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return nil, invalidf("%s: want a JSON object of webhook fields", where)
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return slices.Index(bodyKeys, keys[i]) < slices.Index(bodyKeys, keys[j]) })
	for _, k := range keys {
		if slices.Contains(bodyKeys, k) {
			continue
		}
		return nil, invalidf("%s: unknown key %q; valid keys: %s", where, k, strings.Join(bodyKeys, ", "))
	}
	b := &body{fields: &smtp2go.EditWebhookRequest{}}
	f := b.fields
	for _, k := range keys {
		raw := bytes.TrimSpace(members[k])
		if string(raw) == "null" || k == "api_key" {
			continue
		}
		member := where + ": " + k
		var err error
		switch k {
		case "url":
			f.URL, err = jsonString(member, raw)
		case "events":
			f.Events, err = jsonEnumList[smtp2go.EventType](member, raw, emailEventEnum)
		case "sms_events":
			f.SMSEvents, err = jsonEnumList[smtp2go.SMSEventType](member, raw, smsEventEnum)
		case "headers":
			f.Headers, err = jsonList(member, raw)
		case "usernames":
			f.Usernames, err = jsonList(member, raw)
		case "output_format":
			var v *string
			if v, err = jsonEnum(member, raw, formatEnum); v != nil {
				f.OutputFormat = smtp2go.Ptr(smtp2go.OutputFormat(*v))
			}
		case "auth_header_type":
			var v *string
			if v, err = jsonEnum(member, raw, authEnum); v != nil {
				f.AuthHeaderType = smtp2go.Ptr(authType(*v))
			}
		case "auth_header_value":
			var v *string
			if v, err = jsonString(member, raw); v != nil {
				f.AuthHeaderValue = smtp2go.Ptr(smtp2go.Secret(*v)) // the SDK refuses a masked value
			}
		case "subaccount_id":
			var v *string
			if v, err = jsonString(member, raw); v != nil {
				b.subaccountID = *v
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

func jsonString(member string, raw []byte) (*string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, invalidf("%s: want a string", member)
	}
	return &s, nil
}

// jsonList reads a list of strings: an array, or a string of
// comma-separated elements, as SMTP2GO's documented examples write one. The
// result is never nil: an empty list clears the field.
func jsonList(member string, raw []byte) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		s, err := jsonString(member, raw)
		if err != nil {
			return nil, err
		}
		return splitList(*s), nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalidf("%s: want an array of strings", member)
	}
	return append([]string{}, list...), nil
}

func jsonEnumList[T ~string](member string, raw []byte, en enum) ([]T, error) {
	list, err := jsonList(member, raw)
	if err != nil {
		return nil, err
	}
	values, err := en.parseList(member, list)
	if err != nil {
		return nil, err
	}
	return typed[T](values), nil
}

// jsonEnum reads one value of en; "" is the API's own "not set" (the
// server's format, no auth) and is kept.
func jsonEnum(member string, raw []byte, en enum) (*string, error) {
	s, err := jsonString(member, raw)
	if err != nil || *s == "" {
		return s, err
	}
	v, err := en.parse(member, *s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
