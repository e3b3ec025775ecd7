// Command loadtest measures the SDK under load and faults, on loopback only,
// and checks that nothing is lost or duplicated. Its figures go into
// BENCHMARKS.md:
//
//	go run ./internal/loadtest                      # both scenarios, full size
//	go run ./internal/loadtest -scenario receiver -deliveries 20000 -replicas 3 -senders 50
//	go run ./internal/loadtest -scenario client -calls 1000 -workers 20
//
// Every loop is bounded in count and time; it stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	var rc receiverConfig
	var cc clientConfig
	scenario := flag.String("scenario", "all", "receiver, client or all")
	flag.IntVar(&rc.Deliveries, "deliveries", 20_000, "receiver: deliveries to start, repeats included, redeliveries excluded")
	flag.Float64Var(&rc.RepeatRate, "repeats", 0.10, "receiver: share of deliveries that repeat an event (half at once on another replica)")
	flag.IntVar(&rc.Replicas, "replicas", 3, "receiver: handlers sharing the store")
	flag.IntVar(&rc.Senders, "senders", 50, "receiver: deliveries in flight at once")
	flag.Float64Var(&rc.FailRate, "fail", 0.05, "receiver: share of events whose first callback fails")
	flag.Float64Var(&rc.SlowRate, "slow", 0.02, "receiver: share of events whose first callback outlasts the sender's timeout, then fails")
	flag.BoolVar(&rc.Kill, "kill", true, "receiver: kill one replica mid-run (its callbacks hang, its server closes)")
	flag.DurationVar(&rc.SenderTimeout, "sender-timeout", 200*time.Millisecond, "receiver: how long the sender waits for an answer (SMTP2GO: 10s)")
	flag.DurationVar(&rc.Lease, "lease", time.Second, "receiver: the handlers' lease")
	flag.IntVar(&cc.Calls, "calls", 1000, "client: Ensure calls")
	flag.IntVar(&cc.Workers, "workers", 20, "client: concurrent callers")
	flag.IntVar(&cc.Webhooks, "webhooks", 8, "client: distinct webhooks ensured")
	flag.Float64Var(&cc.FaultRate, "faults", 0.10, "client: share of requests answered with a fault")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, os.Stdout, *scenario, rc, cc); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, scenario string, rc receiverConfig, cc clientConfig) error {
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
	if scenario != "receiver" && scenario != "client" && scenario != "all" {
		return fmt.Errorf("unknown scenario %q", scenario)
	}
	return nil
}
