package scheduler

import "sync"

// Filters and scores over many nodes in parallel, as kube-scheduler runs
// them (its `parallelism`, 16 workers by default). The plugins' Filter and
// Score only read the pod's and the cluster's state (PreFilter and
// PreScore, which write it, run before, on one goroutine), and every
// result goes to the node's own slot, so the outcome is the sequential
// one: the same feasible nodes in the same order, the same scores.

// minNodesPerWorker: below this many nodes per worker the goroutines'
// hand-off costs more than the filters they share (a filter is about
// 0.1 µs).
const minNodesPerWorker = 64

// parallel runs fn(from, to) over [0, n) in up to workers ranges, the
// last on the calling goroutine.
func parallel(workers, n int, fn func(from, to int)) {
	workers = min(workers, n/minNodesPerWorker)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for from := 0; from < n; from += per {
		to := min(from+per, n)
		if to == n {
			fn(from, to)
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); fn(from, to) }()
	}
	wg.Wait()
}

// findFeasible walks infos from cy.next, round robin, until want nodes
// passed every filter (or all were tried); with workers > 1 it filters a
// chunk of nodes at a time in parallel and takes their verdicts in walk
// order, so it stops at the same node as the sequential walk. It returns
// how many nodes the walk processed.
func (cy *cycle) findFeasible(p *PodInfo, infos []*NodeInfo, want, workers int) int {
	s := cy.s
	cy.feasible = cy.feasible[:0]
	if workers <= 1 || len(infos) < 2*minNodesPerWorker {
		processed := 0
		for i := 0; i < len(infos) && len(cy.feasible) < want; i++ {
			n := infos[(cy.next+i)%len(infos)]
			processed++
			if len(s.filter(p, n)) == 0 {
				cy.feasible = append(cy.feasible, n)
			}
		}
		return processed
	}
	processed := 0
	for processed < len(infos) && len(cy.feasible) < want {
		// A chunk of what is still wanted (most nodes pass), at least
		// enough to share among the workers.
		chunk := min(max(want-len(cy.feasible), workers*minNodesPerWorker), len(infos)-processed)
		cy.ok = resizeBools(cy.ok, chunk)
		start := cy.next + processed
		parallel(workers, chunk, func(from, to int) {
			for i := from; i < to; i++ {
				cy.ok[i] = len(s.filter(p, infos[(start+i)%len(infos)])) == 0
			}
		})
		for i := 0; i < chunk && len(cy.feasible) < want; i++ {
			processed++
			if cy.ok[i] {
				cy.feasible = append(cy.feasible, infos[(start+i)%len(infos)])
			}
		}
	}
	return processed
}

// scoreAll sets cy.raw[i] to sp's score of feasible node i.
func (cy *cycle) scoreAll(sp ScorePlugin, p *PodInfo, workers int) {
	parallel(workers, len(cy.feasible), func(from, to int) {
		for i := from; i < to; i++ {
			cy.raw[i] = sp.Score(p, cy.feasible[i])
		}
	})
}

func resizeBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	return b[:n]
}
