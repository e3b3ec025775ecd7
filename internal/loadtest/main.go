// Command loadtest measures the SDK under load and faults, on loopback only,
// and checks that nothing is lost or duplicated. Its figures go into
// BENCHMARKS.md:
//
//	go run ./internal/loadtest                      # both scenarios, full size
//	go run ./internal/loadtest -scenario receiver -deliveries 20000 -replicas 3 -senders 50
//	go run ./internal/loadtest -scenario receiver -store redis      # or postgres: the replicas share a real store
//	go run ./internal/loadtest -scenario client -calls 1000 -workers 20
//	go run ./internal/loadtest -scenario pods -pods 2,5,20 -rounds 100
//
// Every loop is bounded in count and time; it stops by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	var rc receiverConfig
	var cc clientConfig
	scenario := flag.String("scenario", "all", "receiver, client, pods or all")
	flag.IntVar(&rc.Deliveries, "deliveries", 20_000, "receiver: deliveries to start, repeats included, redeliveries excluded")
	flag.Float64Var(&rc.RepeatRate, "repeats", 0.10, "receiver: share of deliveries that repeat an event (half at once on another replica)")
	flag.IntVar(&rc.Replicas, "replicas", 3, "receiver: handlers sharing the store")
	flag.IntVar(&rc.Senders, "senders", 50, "receiver: deliveries in flight at once")
	flag.Float64Var(&rc.FailRate, "fail", 0.05, "receiver: share of events whose first callback fails")
	flag.Float64Var(&rc.SlowRate, "slow", 0.02, "receiver: share of events whose first callback outlasts the sender's timeout, then fails")
	flag.BoolVar(&rc.Kill, "kill", true, "receiver: kill one replica mid-run (its callbacks hang, its server closes)")
	flag.DurationVar(&rc.SenderTimeout, "sender-timeout", 200*time.Millisecond, "receiver: how long the sender waits for an answer (SMTP2GO: 10s)")
	flag.DurationVar(&rc.Lease, "lease", time.Second, "receiver: the handlers' lease")
	flag.StringVar(&rc.Store.Kind, "store", "memory", "receiver: the store the replicas share: memory, redis or postgres")
	flag.StringVar(&rc.Store.RedisURL, "redis-url", envOr("SMTP2GO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "receiver: the Redis of -store redis (default from SMTP2GO_TEST_REDIS_URL)")
	flag.StringVar(&rc.Store.PostgresURL, "postgres-url", envOr("SMTP2GO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "receiver: the PostgreSQL of -store postgres (default from SMTP2GO_TEST_POSTGRES_URL)")
	flag.IntVar(&cc.Calls, "calls", 1000, "client: Ensure calls")
	flag.IntVar(&cc.Workers, "workers", 20, "client: concurrent callers")
	flag.IntVar(&cc.Webhooks, "webhooks", 8, "client: distinct webhooks ensured")
	flag.Float64Var(&cc.FaultRate, "faults", 0.10, "client: share of requests answered with a fault")
	podCounts := flag.String("pods", "2,5,20", "pods: how many processes race, one run per `LIST` entry")
	rounds := flag.Int("rounds", 100, "pods: rounds per run")
	podFaults := flag.Float64("pod-faults", 0.10, "pods: share of requests answered with a fault, in the runs with faults")
	stale := flag.Int("stale", 2, "pods: identical webhooks left before each round, in the runs with stale duplicates")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()

	pods, err := parseCounts(*podCounts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: -pods:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, os.Stdout, *scenario, rc, cc, podsMatrix(pods, *rounds, *podFaults, *stale)); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, scenario string, rc receiverConfig, cc clientConfig, pods []podsConfig) error {
	if scenario == "receiver" || scenario == "all" {
		if err := runReceiver(ctx, w, rc); err != nil {
			return err
		}
	}
	if scenario == "client" || scenario == "all" {
		res, err := runClient(ctx, cc)
		if err != nil {
			return err
		}
		res.print(w)
		if err := res.check(); err != nil {
			return err
		}
	}
	if scenario == "pods" || scenario == "all" {
		if err := runPodsMatrix(ctx, w, pods); err != nil {
			return err
		}
	}
	if scenario != "receiver" && scenario != "client" && scenario != "pods" && scenario != "all" {
		return fmt.Errorf("unknown scenario %q", scenario)
	}
	return nil
}

// runPodsMatrix runs every many-pods configuration, prints a line for each,
// and fails if any round did not end with exactly the one webhook desired.
func runPodsMatrix(ctx context.Context, w io.Writer, runs []podsConfig) error {
	podsHeader(w)
	var errs []error
	for _, cfg := range runs {
		res, err := runPods(ctx, cfg)
		if err != nil {
			return err
		}
		res.print(w)
		errs = append(errs, res.check())
	}
	return errors.Join(errs...)
}

// parseCounts reads a comma-separated list of positive numbers.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("want positive numbers separated by commas, got %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// envOr returns the environment variable name, or def if it is not set.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
