// Command benchratio reads `go test -bench -benchmem` output and prints a
// Markdown table of each benchmark beside its baseline (BenchmarkX beside
// BenchmarkXBaseline, or the one that baselines names): the medians of every
// run, the median of the time ratios of runs made in turns, and the ratio of
// the allocations. It is how
// BENCHMARKS.md's table is made, from runs that take turns so that a drift
// of the machine's speed touches a benchmark and its baseline alike:
//
//	for i in $(seq 8); do go test -run '^$' -bench . -benchmem -count 1 ./webhook; done | tee bench.txt
//	go run ./internal/benchratio bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// bounds are the ratios each benchmark must stay within against its
// baseline: time, then allocations (0: no bound).
var bounds = map[string][2]float64{
	"WebhooksList":    {1.25, 2},
	"WebhooksAdd":     {1.25, 2},
	"ParseForm":       {1.5, 0},
	"ParseJSON":       {1.5, 0},
	"Handler":         {1.25, 0},
	"HandlerObserved": {1.30, 0},
	"HandlerRiver":    {1, 0}, // Enqueue beside pgdedup: at least the same deliveries per second
}

// baselines names the baseline of a benchmark whose baseline is not
// BenchmarkXBaseline.
var baselines = map[string]string{
	"Handler":         "HandlerBare",
	"HandlerObserved": "HandlerBare",
}

// sample is one benchmark's runs.
type sample struct {
	ns, bytes, allocs []float64
}

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchratio:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	samples, order, err := read(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	write(os.Stdout, samples, order)
}

// read collects the runs of each benchmark, keeping the order of first sight.
func read(r io.Reader) (map[string]*sample, []string, error) {
	samples := map[string]*sample{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // drop the GOMAXPROCS suffix
		}
		s := samples[name]
		if s == nil {
			s = &sample{}
			samples[name] = s
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			}
		}
	}
	return samples, order, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pairedRatio is the median of the ratios of the i-th runs of a benchmark
// and its baseline, when both ran as often: run in turns (see the package
// doc), each pair saw the machine in the same state, so the ratio drifts
// less than the ratio of medians, which it falls back to otherwise.
func pairedRatio(x, base []float64) float64 {
	if len(x) != len(base) {
		return median(x) / median(base)
	}
	r := make([]float64, len(x))
	for i := range x {
		r[i] = x[i] / base[i]
	}
	return median(r)
}

func write(w io.Writer, samples map[string]*sample, order []string) {
	fmt.Fprintln(w, "| benchmark | ns/op | B/op | allocs/op | baseline ns/op | baseline B/op | baseline allocs/op | time ratio | allocs ratio | bound |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, name := range order {
		baseName, ok := baselines[name]
		if !ok {
			baseName = name + "Baseline"
		}
		base, ok := samples[baseName]
		if !ok {
			continue
		}
		s := samples[name]
		t, b, a := median(s.ns), median(s.bytes), median(s.allocs)
		bt, bb, ba := median(base.ns), median(base.bytes), median(base.allocs)
		tr, ar := pairedRatio(s.ns, base.ns), a/ba
		bound := "none set"
		if g, ok := bounds[name]; ok {
			met := tr <= g[0] && (g[1] == 0 || ar <= g[1])
			bound = fmt.Sprintf("≤ %.2fx time", g[0])
			if g[1] > 0 {
				bound += fmt.Sprintf(", ≤ %.0fx allocs", g[1])
			}
			bound += map[bool]string{true: ": met", false: ": MISSED"}[met]
		}
		fmt.Fprintf(w, "| %s (n=%d) | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2fx | %.2fx | %s |\n",
			name, len(s.ns), t, b, a, bt, bb, ba, tr, ar, bound)
	}
}
