package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeWalkthrough runs the command-line walkthrough of README.md as a
// reader would: every command of its console blocks, in order, with the
// fake it starts, comparing the output shown. fake and listen run in the
// background, as in a terminal of their own; their output must begin with
// what the README shows. What differs from run to run (request and event
// IDs, times, latencies) is masked on both sides, and the ports are mapped
// to the README's; the fake's API key is not, since the README fixes it
// with --api-key, so that its export lines can be pasted as they are.
// `cat FILE` blocks give the files' contents.
func TestReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := markdownSection(string(readme), "## Command line")
	if !ok {
		t.Fatal("README.md has no Command line section")
	}
	// The commands run only once installed: the walkthrough says how first.
	if before, _, _ := strings.Cut(section, "```console"); !strings.Contains(before, "go install ./cmd/smtp2go-webhooks") {
		t.Error("the walkthrough does not say how to install smtp2go-webhooks before its first command")
	}
	steps := consoleSteps(section)
	if len(steps) < 10 {
		t.Fatalf("found %d commands in the walkthrough", len(steps))
	}

	w := &walkthrough{t: t, dir: t.TempDir(), env: map[string]string{}}
	for _, st := range steps {
		w.do(st)
	}
	for _, bg := range w.background {
		if got := normalize(w.toReadme(bg.out.String())); !strings.HasPrefix(got, normalize(bg.want)) {
			t.Errorf("$ %s\nprinted:\n%s\nwant it to begin with:\n%s", bg.line, got, normalize(bg.want))
		}
	}
	// Secrets: the auth values never show, and the API key only where the
	// fake prints it for export.
	for _, secret := range []string{w.env["WEBHOOK_TOKEN"], w.env["HOOK_TOKEN"]} {
		if secret == "" {
			t.Error("the walkthrough sets no auth value any more: the secrets check checks nothing")
		}
		if strings.Contains(w.printed.String(), secret) {
			t.Error("an auth value was printed")
		}
	}
	if key := w.env["SMTP2GO_API_KEY"]; key == "" || strings.Contains(w.printed.String(), key) {
		t.Error("the API key was printed by a command other than fake, or never exported")
	}
}

// shown is one command of a console block and the output shown after it.
type shown struct {
	line string
	want string
}

// markdownSection returns the text from the heading to the next heading of
// the same level.
func markdownSection(doc, heading string) (string, bool) {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return "", false
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest, true
}

// consoleSteps returns the commands of every ```console block, in order.
func consoleSteps(section string) []shown {
	var steps []shown
	in := false
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "```console"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			in = false
		case in && strings.HasPrefix(line, "$ "):
			steps = append(steps, shown{line: strings.TrimPrefix(line, "$ ")})
		case in && len(steps) > 0:
			steps[len(steps)-1].want += line + "\n"
		}
	}
	return steps
}

// walkthrough is the state of a terminal session: the variables exported,
// the files written, the last exit status, and the commands in the
// background.
type walkthrough struct {
	t          *testing.T
	dir        string
	env        map[string]string
	files      map[string]string // as named in the README → path
	status     int
	background []*backgroundShown
	mapped     [][2]string  // README value → value of this run (ports)
	printed    bytes.Buffer // all that foreground commands printed
}

type backgroundShown struct {
	shown
	out *syncBuffer
}

func (w *walkthrough) do(st shown) {
	t := w.t
	words := strings.Fields(w.fromReadme(st.line))
	var got string
	switch {
	case words[0] == "export":
		name, value, _ := strings.Cut(words[1], "=")
		w.env[name] = value
	case words[0] == "cat":
		if w.files == nil {
			w.files = map[string]string{}
		}
		path := filepath.Join(w.dir, words[1])
		if err := os.WriteFile(path, []byte(st.want), 0o600); err != nil {
			t.Fatal(err)
		}
		w.files[words[1]] = path
		got = st.want
	case strings.Join(words, " ") == "echo $?":
		got = fmt.Sprintln(w.status)
	default:
		got = w.run(st, words)
		if got == "" && st.want != "" {
			return // in the background: compared at the end
		}
	}
	if normalize(w.toReadme(got)) != normalize(st.want) {
		t.Errorf("$ %s\nprinted:\n%s\nwant:\n%s", st.line, normalize(w.toReadme(got)), normalize(st.want))
	}
}

// run runs one smtp2go-webhooks command line, with its own VAR=value
// prefixes, and returns what it printed; fake and listen are started in
// the background and return "".
func (w *walkthrough) run(st shown, words []string) string {
	t := w.t
	environ := make([]string, 0, len(w.env))
	for k, v := range w.env {
		environ = append(environ, k+"="+v)
	}
	for strings.Contains(words[0], "=") {
		environ = append(environ, words[0])
		words = words[1:]
	}
	if words[0] != "smtp2go-webhooks" {
		t.Fatalf("the walkthrough runs %q, which this test cannot", st.line)
	}
	args := words[1:]
	for i, a := range args {
		if path, ok := w.files[a]; ok {
			args[i] = path
		}
	}
	if args[0] == "fake" || args[0] == "listen" {
		w.startBackground(st, environ, args)
		return ""
	}
	var out bytes.Buffer // one terminal: stdout and stderr as written
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: getenvFrom(environ), apiOptions: fastRetries}
	w.status = run(t.Context(), e, args)
	w.printed.Write(out.Bytes())
	return out.String()
}

// startBackground runs fake or listen on a free port, and maps the README's
// address to this run's.
func (w *walkthrough) startBackground(st shown, environ []string, args []string) {
	t := w.t
	readmeAddr := ""
	for i, a := range args {
		if a == "--addr" {
			readmeAddr, args[i+1] = args[i+1], "127.0.0.1:0"
		}
	}
	if readmeAddr == "" {
		readmeAddr = "127.0.0.1:8025" // fake's default
		args = append(args, "--addr", "127.0.0.1:0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := newSyncBuffer()
	done := make(chan int, 1)
	e := &env{stdin: strings.NewReader(""), stdout: out, stderr: out, getenv: getenvFrom(environ), apiOptions: fastRetries}
	go func() { done <- run(ctx, e, args) }()
	t.Cleanup(func() { cancel(); <-done })

	started := out.waitFor(t, "http://127.0.0.1:")
	addr := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`).FindString(started)
	w.mapped = append(w.mapped, [2]string{readmeAddr, addr})
	if args[0] == "fake" {
		out.waitFor(t, "SMTP2GO_API_KEY=") // the export lines are out
	}
	w.background = append(w.background, &backgroundShown{shown: st, out: out})
}

// fromReadme puts this run's values in place of the README's.
func (w *walkthrough) fromReadme(s string) string {
	for _, m := range w.mapped {
		s = strings.ReplaceAll(s, m[0], m[1])
	}
	return s
}

// toReadme puts the README's values in place of this run's.
func (w *walkthrough) toReadme(s string) string {
	for _, m := range w.mapped {
		s = strings.ReplaceAll(s, m[1], m[0])
	}
	return s
}

var (
	// What changes from run to run, and how it is shown once masked.
	masks = []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "REQUEST-ID"},
		{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "EVENT-ID"},
		{regexp.MustCompile(`time=\S+`), "time=TIME"},
		{regexp.MustCompile(`remote_addr=\S+`), "remote_addr=ADDR"},
		{regexp.MustCompile(` in [0-9.]+(ns|µs|ms|s)\b`), " in DURATION"},
	}
)

// normalize masks what changes from run to run, and trailing blank lines.
func normalize(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return strings.TrimRight(s, "\n") + "\n"
}
