package hollow

import (
	"hash/fnv"
	"time"
)

// Behaviour says how the containers of simulated nodes behave. Fractions
// are of pods (0..1, summed at most 1); the rest start at once and run.
type Behaviour struct {
	// FailFraction of pods have containers that exit 1 as soon as they
	// start: restartPolicy Always/OnFailure takes the crash back-off
	// (CrashLoopBackOff), Never ends the pod Failed.
	FailFraction float64
	// CrashFraction of pods have containers that run for CrashAfter
	// (default 10 s), then exit 1, at every attempt: CrashLoopBackOff with
	// Running in between, as a program that dies under load.
	CrashFraction float64
	CrashAfter    time.Duration
	// SlowFraction of pods take SlowStart (default 5 s) to start each
	// container, as a slow image pull or a slow runtime: the agent's sync
	// of that node waits, as it waits for Podman.
	SlowFraction float64
	SlowStart    time.Duration
}

// Fate is what a pod's containers do on a simulated node.
type Fate int

const (
	FateRun   Fate = iota // start at once and run until stopped
	FateFail              // exit 1 at once
	FateCrash             // exit 1 after CrashAfter
	FateSlow              // start after SlowStart, then run
)

func (f Fate) String() string {
	return [...]string{"run", "fail", "crash", "slow"}[f]
}

// FateOf chooses a pod's fate from its uid: the same pod always gets the
// same one (a restarted container fails again), and over many pods the
// fractions hold. It is pure.
func FateOf(uid string, b Behaviour) Fate {
	h := fnv.New64a()
	h.Write([]byte(uid))
	u := float64(h.Sum64()%1_000_000) / 1_000_000
	switch {
	case u < b.FailFraction:
		return FateFail
	case u < b.FailFraction+b.CrashFraction:
		return FateCrash
	case u < b.FailFraction+b.CrashFraction+b.SlowFraction:
		return FateSlow
	}
	return FateRun
}

func (b Behaviour) withDefaults() Behaviour {
	if b.CrashAfter == 0 {
		b.CrashAfter = 10 * time.Second
	}
	if b.SlowStart == 0 {
		b.SlowStart = 5 * time.Second
	}
	return b
}
