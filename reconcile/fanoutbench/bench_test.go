package fanoutbench

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// writesFromEnv: FANOUT_WRITES overrides a benchmark's number of status
// writes (a shorter run of the slow, before-the-fan-out code).
func writesFromEnv(n int) int {
	if v, err := strconv.Atoi(os.Getenv("FANOUT_WRITES")); err == nil && v > 0 {
		return v
	}
	return n
}

// benchFanout runs Measure once per iteration and reports its figures.
func benchFanout(b *testing.B, nodes, perNode, writes int) {
	writes = writesFromEnv(writes)
	batch, _ := strconv.Atoi(os.Getenv("FANOUT_STATUS_BATCH")) // 1: each status write alone, to compare
	for range b.N {
		res, err := Measure(context.Background(), Options{Dir: b.TempDir(), Nodes: nodes, PodsPerNode: perNode,
			Admins: 2, Writes: writes, Concurrency: 64, StatusBatch: batch})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(res)
		b.ReportMetric(float64(res.EveryP50.Microseconds()), "p50-µs")
		b.ReportMetric(float64(res.EveryP99.Microseconds()), "p99-µs")
		b.ReportMetric(res.WriteRate, "writes/s")
		b.ReportMetric(res.CPU.Seconds(), "cpu-s")
		b.ReportMetric(float64(res.Missing), "missing")
		b.ReportMetric(float64(res.Transactions), "txns")
		b.ReportMetric(float64(res.ControllerP99.Microseconds()), "ctl-p99-µs")
	}
}

func BenchmarkFanout1000(b *testing.B) { benchFanout(b, 1000, 30, 5000) }
func BenchmarkFanout5000(b *testing.B) { benchFanout(b, 5000, 30, 5000) }
