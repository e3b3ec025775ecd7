package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// Most tests run the CLI in-process through run, with an env of their own:
// they are fast and count for coverage. A few run the built binary, for
// what only a process shows: exit statuses, signals, and listen's stop.

// result is what one run of the CLI gave.
type result struct {
	code           int
	stdout, stderr string
}

// getenvFrom turns NAME=value pairs into an env's getenv: the test process's own
// environment never leaks in, so no real key can.
func getenvFrom(pairs []string) func(string) string {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// fastRetries makes the CLI's clients retry within milliseconds.
var fastRetries = []smtp2go.Option{smtp2go.WithRetryWait(time.Millisecond, 5*time.Millisecond)}

// cli runs the command line in-process with the environment variables given
// and stdin.
func cli(t *testing.T, environ []string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: getenvFrom(environ), apiOptions: fastRetries}
	code := run(t.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// onTerminal runs the command line in-process as cli does, as if a person
// at a terminal typed stdin.
func onTerminal(t *testing.T, environ []string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: getenvFrom(environ), apiOptions: fastRetries,
		isTerminal: func() bool { return true }}
	code := run(t.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// against runs the CLI against the fake server, authenticated.
func against(t *testing.T, srv *smtp2gotest.Server, args ...string) result {
	t.Helper()
	return cli(t, []string{"SMTP2GO_API_KEY=" + srv.APIKey}, "", append(args, "--base-url", srv.URL)...)
}

// noSecret fails if output holds a secret; it never prints the secret.
func noSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("output contains secret #%d", i)
		}
	}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not the JSON document expected: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("output holds more than one JSON document:\n%s", s)
	}
	return v
}

// syncBuffer is an output that a command running in the background writes
// while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed at each write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor blocks until the output holds want, and returns the output. A
// bound far above any wait fails the test instead of hanging it.
func (b *syncBuffer) waitFor(t *testing.T, want string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		b.mu.Lock()
		s, changed := b.buf.String(), b.changed
		b.mu.Unlock()
		if strings.Contains(s, want) {
			return s
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("output never held %q:\n%s", want, s)
		}
	}
}

// background is a command that runs until stopped, such as fake or listen.
type background struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

// start runs the command line in-process until stop is called or the test
// ends.
func start(t *testing.T, environ []string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bg := &background{stdout: newSyncBuffer(), stderr: newSyncBuffer(), cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: bg.stdout, stderr: bg.stderr, getenv: getenvFrom(environ), apiOptions: fastRetries}
	go func() { bg.done <- run(ctx, e, args) }()
	t.Cleanup(func() { bg.stop() })
	return bg
}

// stop interrupts the command, as Ctrl-C does, and returns its exit code.
func (bg *background) stop() int {
	bg.cancel()
	code := <-bg.done
	bg.done <- code // for a second stop
	return code
}

// startFakeCommand runs the fake command on a free port and returns it with the
// environment that points the CLI at it.
func startFakeCommand(t *testing.T, args ...string) (*background, []string) {
	t.Helper()
	bg := start(t, nil, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	banner := bg.stdout.waitFor(t, "SMTP2GO_API_KEY=")
	var environ []string
	for _, line := range strings.Split(banner, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			environ = append(environ, v)
		}
	}
	return bg, environ
}

// The binary, built once for the few tests that need a process.
var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smtp2go-webhooks-test")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "smtp2go-webhooks")
		if runtime.GOOS == "windows" {
			binary += ".exe"
		}
		// go test puts its own go command first on PATH.
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the CLI: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// process starts the binary with args and the environment given (and
// nothing of the test's own), stdout collected and stderr scanned by line.
func process(t *testing.T, environ []string, args ...string) (*exec.Cmd, *bytes.Buffer, <-chan string) {
	t.Helper()
	cmd := exec.Command(builtBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, environ...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return cmd, &stdout, lines
}

// waitLine returns the first line holding want, and the lines read so far.
func waitLine(t *testing.T, lines <-chan string, want string) (string, string) {
	t.Helper()
	var seen strings.Builder
	timeout := time.NewTimer(time.Minute) // a bound against hanging, not a timing
	defer timeout.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the process ended before printing %q:\n%s", want, seen.String())
			}
			seen.WriteString(line + "\n")
			if strings.Contains(line, want) {
				return line, seen.String()
			}
		case <-timeout.C:
			t.Fatalf("no line held %q:\n%s", want, seen.String())
		}
	}
}

func TestBinaryDependsOnNeitherTestingNorHTTPTest(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	for _, pkg := range []string{"testing", "net/http/httptest", "github.com/relaykit/smtp2go/smtp2gotest"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("the CLI links %s", pkg)
		}
	}
}

// TestTheSDKDoesNotRequireCobra: the CLI's module keeps its dependencies
// from the SDK's users, who build the root module without go.work.
func TestTheSDKDoesNotRequireCobra(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "github.com/relaykit/smtp2go\n") {
		t.Fatalf("go list -m all of the root module:\n%s", out)
	}
	for _, mod := range []string{"github.com/spf13/cobra", "github.com/spf13/pflag"} {
		if strings.Contains(string(out), mod+" ") {
			t.Errorf("the root module requires %s", mod)
		}
	}
}

// TestRemoveAsksOnATerminal: on a terminal only "yes" removes; without one
// a removal needs --yes, exits 2 and changes nothing.
func TestRemoveAsksOnATerminal(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	if _, err := srv.Client().Webhooks.Add(t.Context(), &smtp2go.AddWebhookRequest{URL: "https://example.com/r", Events: []smtp2go.EventType{smtp2go.EventBounce}}); err != nil {
		t.Fatal(err)
	}
	environ := []string{"SMTP2GO_API_KEY=" + srv.APIKey, "SMTP2GO_BASE_URL=" + srv.URL}
	for _, answer := range []string{"no\n", "y\n", "YES\n", ""} {
		r := onTerminal(t, environ, answer, "remove", "1001")
		wantCode(t, r, exitInterrupted)
		if !strings.Contains(r.stderr, "  - remove 1001 https://example.com/r") || !strings.Contains(r.stderr, "Only 'yes' will be accepted: ") {
			t.Errorf("answer %q: asked:\n%s", answer, r.stderr)
		}
	}
	r := cli(t, environ, "yes\n", "remove", "1001") // no terminal: the answer is not read
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.stderr, "there is no terminal to ask: nothing was changed\nPass --yes") {
		t.Errorf("without a terminal:\n%s", r.stderr)
	}
	r = cli(t, environ, "", "ensure", "--url", "https://example.com/r", "--events", "bounce", "--base-url", srv.URL)
	wantCode(t, r, 0) // no removal: ensure never asks
	if len(srv.Webhooks()) != 1 {
		t.Fatalf("a removal refused removed: %v", srv.Webhooks())
	}
	r = onTerminal(t, environ, "yes\n", "remove", "1001")
	wantCode(t, r, 0)
	if len(srv.Webhooks()) != 0 || !strings.Contains(r.stdout, "removed webhook 1001") {
		t.Errorf("yes did not remove: %v\n%s", srv.Webhooks(), r.stdout)
	}
}

func TestCtrlCInterruptsACommand(t *testing.T) {
	t.Parallel()
	// An API that takes the request and never answers, until the client
	// goes away.
	arrived := make(chan struct{}, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server sees the client go only once the body has been read.
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(api.Close)
	for _, output := range []string{"text", "json"} {
		cmd, stdout, lines := process(t, []string{"SMTP2GO_API_KEY=api-test", "SMTP2GO_BASE_URL=" + api.URL}, "list", "--output", output)
		<-arrived
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		for line := range lines {
			stderr.WriteString(line + "\n")
		}
		err := cmd.Wait()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitInterrupted {
			t.Errorf("--output %s: %v, want exit status %d", output, err, exitInterrupted)
		}
		want := "smtp2go-webhooks list: interrupted\n"
		if output == "json" {
			want = `"message": "interrupted"`
		}
		if !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
			t.Errorf("--output %s: stdout %q, stderr %q", output, stdout, stderr.String())
		}
	}
}

func TestListenReceivesSendTestAndStopsOnCtrlC(t *testing.T) {
	t.Parallel()
	const token = "tok-listen-secret"
	listen, stdout, lines := process(t, []string{"HOOK_TOKEN=" + token}, "listen", "--addr", "127.0.0.1:0", "--path", "/hooks/smtp2go", "--bearer-env", "HOOK_TOKEN", "--output", "json")
	line, logged := waitLine(t, lines, `"msg":"listening"`)
	var started struct{ URL string }
	if err := json.Unmarshal([]byte(line), &started); err != nil || started.URL == "" {
		t.Fatalf("listen's first log line %q: %v", line, err)
	}

	r := cli(t, []string{"HOOK_TOKEN=" + token}, "", "send-test", "--url", started.URL, "--event", "bounce", "--format", "json",
		"--auth", "bearer", "--auth-value-env", "HOOK_TOKEN", "--headers", "X-Customer-Id")
	wantCode(t, r, 0)
	noSecret(t, r, token)
	if !strings.Contains(r.stdout, "200 OK") {
		t.Errorf("send-test printed %q", r.stdout)
	}

	if err := listen.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(chanReader(lines))
	logged += string(rest)
	if err := listen.Wait(); err != nil {
		t.Fatalf("listen did not stop cleanly: %v\n%s", err, logged)
	}
	noSecret(t, result{stdout: stdout.String(), stderr: logged}, token)
	if !strings.Contains(logged, `"msg":"stopped"`) {
		t.Errorf("listen's log lacks the clean stop:\n%s", logged)
	}
	events := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(events) != 1 {
		t.Fatalf("listen printed %d lines, want the one event:\n%s", len(events), stdout.String())
	}
	if line := decodeJSON[requestOut](t, events[0]); line.Status != 200 || line.Event == nil || line.Event.Type != "bounce" ||
		line.Event.Bounce != "hard" || len(line.Event.ID) != 32 || line.Event.Fields["X-Customer-Id"] == nil {
		t.Errorf("listen printed %+v", line)
	}
}

// chanReader reads the lines of ch until it is closed.
func chanReader(ch <-chan string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for line := range ch {
			_, _ = io.WriteString(pw, line+"\n")
		}
		pw.Close()
	}()
	return pr
}
