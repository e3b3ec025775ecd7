package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
)

// enum is the set of values a flag, an argument or a member of a JSON file
// takes, matched case-insensitively; aliases map other (lowercase)
// spellings to values.
type enum struct {
	what    string // what one value is, for messages: "event", "format"
	values  []string
	aliases map[string]string
}

var (
	outputEnum     = enum{what: "output format", values: []string{"text", "json"}}
	formatEnum     = enum{what: "format", values: names([]smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON})}
	authEnum       = enum{what: "auth type", values: []string{string(smtp2go.AuthBearer), string(smtp2go.AuthBasic), "none"}}
	regionEnum     = enum{what: "region", values: names([]smtp2go.Region{smtp2go.RegionGlobal, smtp2go.RegionUS, smtp2go.RegionEU, smtp2go.RegionAU})}
	emailEventEnum = enum{what: "event", values: names(smtp2go.EmailEventTypes())}
	// smsEventEnum takes the API's short names, or the names deliveries
	// carry ("sms_delivered").
	smsEventEnum = enum{what: "SMS event", values: names(smtp2go.SMSEventTypes()), aliases: map[string]string{}}
	// deliveryEventEnum is a delivery's "event": an email event or "sms_"
	// and an SMS event, whose short name is accepted where no email event
	// has it ("failed" but not "delivered").
	deliveryEventEnum = enum{what: "event", values: names(smtp2go.EmailEventTypes()), aliases: map[string]string{}}
)

func init() {
	for _, t := range smtp2go.SMSEventTypes() {
		long := string(t.EventType())
		smsEventEnum.aliases[long] = string(t)
		deliveryEventEnum.values = append(deliveryEventEnum.values, long)
		if !slices.Contains(emailEventEnum.values, string(t)) {
			deliveryEventEnum.aliases[string(t)] = long
		}
	}
}

// mapped is f of each of list, in order; never nil, as JSON lists are not.
func mapped[T, U any](list []T, f func(T) U) []U {
	out := make([]U, len(list))
	for i, v := range list {
		out[i] = f(v)
	}
	return out
}

func names[T ~string](list []T) []string {
	return mapped(list, func(v T) string { return string(v) })
}

// parse returns the value s stands for; where names what set it, for errors.
func (en enum) parse(where, s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(en.values, v) {
		return v, nil
	}
	if c, ok := en.aliases[v]; ok {
		return c, nil
	}
	return "", inInput(where, invalidf("unknown %s %q; valid: %s", en.what, s, strings.Join(en.values, ", ")))
}

// parseOrEmpty is parse, but keeps "", the API's own "not set".
func (en enum) parseOrEmpty(where, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return en.parse(where, s)
}

// parseList parses each of list; "all" alone is every value, and an empty
// list is empty, not nil.
func parseList[T ~string](en enum, where string, list []string) ([]T, error) {
	if len(list) == 1 && strings.EqualFold(strings.TrimSpace(list[0]), "all") {
		list = en.values
	}
	out := make([]T, 0, len(list))
	for _, s := range list {
		v, err := en.parse(where, s)
		if err != nil {
			return nil, err
		}
		out = append(out, T(v))
	}
	return out, nil
}

func (en enum) complete(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return en.values, cobra.ShellCompDirectiveNoFileComp
}

// enumFlag is a flag that takes one of an enum's values.
type enumFlag struct {
	en    enum
	value string
}

func (f *enumFlag) String() string { return f.value }
func (f *enumFlag) Type() string   { return strings.ReplaceAll(f.en.what, " ", "-") }

func (f *enumFlag) Set(s string) (err error) {
	f.value, err = f.en.parse("", s)
	return err
}

// newEnumFlag defines on cmd a flag that takes one value of en.
func newEnumFlag(cmd *cobra.Command, name string, en enum, def, usage string) *enumFlag {
	f := &enumFlag{en: en, value: def}
	cmd.Flags().Var(f, name, usage)
	_ = cmd.RegisterFlagCompletionFunc(name, en.complete)
	return f
}

// pairsFlag is a repeatable flag of name=value pairs, in the order given.
type pairsFlag struct{ names, values []string }

func (p *pairsFlag) String() string { return "" }
func (p *pairsFlag) Type() string   { return "NAME=VALUE" }

func (p *pairsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	p.names = append(p.names, strings.TrimSpace(name))
	p.values = append(p.values, value)
	return nil
}

func (p *pairsFlag) fields() map[string]string {
	m := map[string]string{}
	for i, name := range p.names {
		m[name] = p.values[i]
	}
	return m
}
