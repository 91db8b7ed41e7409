package scalebench

import "testing"

func TestCommitMedians(t *testing.T) {
	run := func(engine string, secs float64, done bool) StoreRun {
		return StoreRun{Engine: engine, Size: SizeResult{Phases: []Phase{{Name: PhaseCommit, Seconds: secs, Done: done}}}}
	}
	for _, tc := range []struct {
		name                string
		runs                []StoreRun
		badger, etcd, ratio float64
	}{
		{"median of three each", []StoreRun{run("badger", 3, true), run("etcd", 9, true), run("badger", 1, true),
			run("etcd", 3, true), run("badger", 2, true), run("etcd", 4, true)}, 2, 4, 2},
		{"an unfinished commit is left out", []StoreRun{run("badger", 2, true), run("etcd", 300, false), run("etcd", 3, true)}, 2, 3, 1.5},
		{"no etcd run finished: no ratio", []StoreRun{run("badger", 2, true), run("etcd", 300, false)}, 2, 0, 0},
		{"the last Running pod's time when known", []StoreRun{run("badger", 1.5, true), {Engine: "etcd", Size: SizeResult{Phases: []Phase{
			{Name: PhaseCommit, Seconds: 2, LastRunningSeconds: 2.25, Done: true}}}}}, 1.5, 2.25, 1.5},
		{"none", nil, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, e, r := CommitMedians(tc.runs)
			if b != tc.badger || e != tc.etcd || r != tc.ratio {
				t.Errorf("CommitMedians = %v, %v, %v; want %v, %v, %v", b, e, r, tc.badger, tc.etcd, tc.ratio)
			}
		})
	}
}
