//go:build !unix

package webhook

import "time"

// processCPUTime is unknown here: the benchmarks report 0.
func processCPUTime() time.Duration { return 0 }
