package scalebench

import (
	"fmt"
	"slices"
	"strings"
)

// The phases of one size, in the order they run (the --skip names).
const (
	PhaseNodes    = "nodes"    // every simulated node Ready
	PhaseIdle     = "idle"     // heartbeat cost: the controller's CPU with every node idle
	PhaseCommit   = "commit"   // commit → every pod Running; scheduling throughput
	PhaseFanout   = "fanout"   // watch fan-out latency of pod status writes
	PhaseRollout  = "rollout"  // a rolling update of every Deployment: every pod replaced
	PhaseNodeLoss = "nodeloss" // part of the fleet stops at once: evictions and rescheduling
)

// Phases lists the phases in order.
var Phases = []string{PhaseNodes, PhaseIdle, PhaseCommit, PhaseFanout, PhaseRollout, PhaseNodeLoss}

// needs names the phases each phase builds on: when one of them ran and
// did not finish, the phase is skipped (its figures would mean nothing).
var needs = map[string][]string{
	PhaseIdle:     {PhaseNodes},
	PhaseCommit:   {PhaseNodes},
	PhaseFanout:   {PhaseCommit},
	PhaseRollout:  {PhaseCommit},
	PhaseNodeLoss: {PhaseCommit, PhaseRollout},
}

// Result is the JSON a run writes: the machine and one record per size.
type Result struct {
	Command           string       `json:"command"`
	CPUs              int          `json:"cpus"`
	LoadAverageBefore string       `json:"loadAverageBefore"`
	LoadAverageAfter  string       `json:"loadAverageAfter,omitempty"`
	Sizes             []SizeResult `json:"sizes"`
}

// SizeResult is one cluster size: its layout, each phase, and the totals
// of the controller's process over the whole size.
type SizeResult struct {
	Nodes                  int     `json:"nodes"`
	Pods                   int     `json:"pods"`
	Deployments            int     `json:"deployments"`
	PodsPerNode            int     `json:"podsPerNode"`
	NodeCIDRMaskSize       int     `json:"nodeCIDRMaskSize"`
	ClusterCIDR            string  `json:"clusterCIDR,omitempty"`
	LostNodes              int     `json:"lostNodes"`
	Phases                 []Phase `json:"phases"`
	ControllerCPUSeconds   float64 `json:"controllerCPUSeconds"`
	ControllerPeakRSSBytes int64   `json:"controllerPeakRSSBytes"`
	SimulatorPeakRSSBytes  int64   `json:"simulatorPeakRSSBytes"`
	StoreBytes             int64   `json:"storeBytes"`
	Error                  string  `json:"error,omitempty"`
}

// Phase is what one phase measured and how far it got: Reached of Target
// (nodes Ready, pods Running) when it ended, Done when it reached Target
// within its timeout. SimulatorCPUPercent is both simulators together: on
// a loaded machine a starved simulator slows every phase.
type Phase struct {
	Name               string     `json:"name"`
	Done               bool       `json:"done"`
	Skipped            string     `json:"skipped,omitempty"`
	Error              string     `json:"error,omitempty"`
	Seconds            float64    `json:"seconds"`
	Target             int        `json:"target,omitempty"`
	Reached            int        `json:"reached"`
	Pods               *PodCounts `json:"pods,omitempty"` // commit, rollout, nodeloss: where the pods were when the phase ended
	PodsBoundPerSecond float64    `json:"podsBoundPerSecond,omitempty"`
	// LastRunningSeconds (commit, rollout, nodeloss, when Done): from the
	// phase's start until the watch saw the last pod become Running;
	// Seconds is up to one poll (0.5 s) later.
	LastRunningSeconds float64 `json:"lastRunningSeconds,omitempty"`
	// Stages (commit, rollout): when the watch saw the revision's pods
	// created, bound and Running, from the phase's start.
	Stages *Stages `json:"stages,omitempty"`
	// StoreEntries (--compare-stores on etcd): the store's log entries
	// appended over the phase, each one consensus round of the members.
	StoreEntries           int      `json:"storeEntries,omitempty"`
	ControllerCPUSeconds   float64  `json:"controllerCPUSeconds"`
	ControllerCPUPercent   float64  `json:"controllerCPUPercent"`
	ControllerPeakRSSBytes int64    `json:"controllerPeakRSSBytes"`
	APIRequestsPerSecond   float64  `json:"apiRequestsPerSecond"`
	SimulatorCPUPercent    float64  `json:"simulatorCPUPercent"`
	MetricsError           string   `json:"metricsError,omitempty"` // /metrics did not answer: APIRequestsPerSecond unknown
	Latency                *Latency `json:"latency,omitempty"`
}

// Latency is the watch fan-out: for each sample (one pod status write),
// the time from sending the write until the last of Watchers saw it.
type Latency struct {
	Samples    int     `json:"samples"`
	Watchers   int     `json:"watchers"`
	Missed     int     `json:"missed"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	WriteP50Ms float64 `json:"writeP50Ms"`
}

// Phase returns the named phase of s, nil when it has none.
func (s *SizeResult) Phase(name string) *Phase {
	for i := range s.Phases {
		if s.Phases[i].Name == name {
			return &s.Phases[i]
		}
	}
	return nil
}

// Blocked says why phase cannot run after the phases in done: the first
// phase it builds on that ran and did not finish, or that was skipped for
// that reason. "" when it can run. A phase the user skipped does not block
// the ones after it (the node-loss phase runs without a rollout).
func Blocked(phase string, done []Phase) string {
	for _, need := range needs[phase] {
		i := slices.IndexFunc(done, func(p Phase) bool { return p.Name == need })
		if i < 0 {
			continue
		}
		p := done[i]
		switch {
		case p.Skipped != "" && strings.HasPrefix(p.Skipped, "after "):
			return p.Skipped
		case p.Skipped == "" && !p.Done:
			return fmt.Sprintf("after %s did not finish", need)
		}
	}
	return ""
}

// ParseSkip checks the --skip names.
func ParseSkip(names []string) (map[string]bool, error) {
	skip := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(Phases, n) {
			return nil, fmt.Errorf("--skip %q: not a phase; the phases are %s", n, strings.Join(Phases, ", "))
		}
		if n == PhaseNodes {
			return nil, fmt.Errorf("--skip %s: that phase starts the simulated nodes every other phase needs", n)
		}
		skip[n] = true
	}
	return skip, nil
}
