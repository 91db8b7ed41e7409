package agent

import (
	"context"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// DefaultUsageInterval is how often the agent reports its pods' usage: the
// kubelet's resource metrics are scraped every 15 s by metrics-server.
const DefaultUsageInterval = 15 * time.Second

// ContainerSample is one reading of a container's counters: the CPU time it
// used since it started (cumulative), and its memory working set (usage
// minus inactive file pages, what the kubelet reports and evicts on).
type ContainerSample struct {
	ID               string
	CPUNanos         uint64
	MemoryWorkingSet uint64
	At               time.Time
}

// StatsReader is the optional part of a Runtime that reads the usage of
// every running container at once (PodmanRuntime: one stats call).
type StatsReader interface {
	Stats(ctx context.Context) ([]ContainerSample, error)
}

// UsageReporter is the optional part of a ControlPlane that takes a node's
// usage report (apiclient: PUT /api/v1/nodes/{name}/usage).
type UsageReporter interface {
	ReportUsage(ctx context.Context, r podmetrics.NodeReport) error
}

// PodUsage turns two readings into the usage of the observed pods: CPU is
// the rate between a container's previous and current cumulative counter,
// memory the current working set. A pod is reported only once every one of
// its running containers has two readings of the same container (a new or
// restarted container has none before), as metrics-server needs two scrapes.
// A counter that went backwards (a container restarted under the same ID)
// has no rate yet either. Pure.
func PodUsage(pods []ObservedPod, prev, cur map[string]ContainerSample) []podmetrics.PodMetrics {
	var out []podmetrics.PodMetrics
	for _, p := range pods {
		ns, name, ok := strings.Cut(p.Key, "/")
		if !ok {
			continue
		}
		pm := podmetrics.PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(p.UID)}}
		complete := false
		for _, c := range p.Containers {
			if !c.Running() {
				continue
			}
			now, ok1 := cur[c.ID]
			before, ok2 := prev[c.ID]
			if !ok1 || !ok2 || !now.At.After(before.At) || now.CPUNanos < before.CPUNanos {
				complete = false
				break
			}
			window := now.At.Sub(before.At)
			nanoCores := int64(float64(now.CPUNanos-before.CPUNanos) / window.Seconds())
			pm.Containers = append(pm.Containers, podmetrics.ContainerMetrics{Name: c.Name,
				Usage: podmetrics.Usage(nanoCores, int64(now.MemoryWorkingSet))})
			if window > pm.Window.Duration {
				pm.Window = metav1.Duration{Duration: window}
			}
			if now.At.After(pm.Timestamp.Time) {
				pm.Timestamp = metav1.NewTime(now.At.UTC())
			}
			complete = true
		}
		if complete {
			out = append(out, pm)
		}
	}
	return out
}

// reportUsage reads the containers' usage every UsageInterval and sends the
// node's report, when the runtime and the control plane both can. Errors
// are logged and the next period tries again.
func (a *Agent) reportUsage(ctx context.Context) {
	stats, ok1 := a.opts.Runtime.(StatsReader)
	rep, ok2 := a.opts.ControlPlane.(UsageReporter)
	if !ok1 || !ok2 || a.opts.UsageInterval < 0 {
		return
	}
	t := time.NewTicker(a.opts.UsageInterval)
	defer t.Stop()
	prev := map[string]ContainerSample{}
	for {
		if cur, err := a.readUsage(ctx, stats); err != nil {
			a.log.Debug("reading container usage failed; next period tries again", "err", err)
		} else {
			pods, err := a.opts.Runtime.List(ctx)
			if err == nil {
				r := podmetrics.NodeReport{Node: a.opts.NodeName, Pods: PodUsage(pods, prev, cur)}
				if err := rep.ReportUsage(ctx, r); err != nil && ctx.Err() == nil {
					a.log.Warn("reporting pod usage failed; the autoscaler sees it again next period", "err", err)
				}
			}
			prev = cur
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *Agent) readUsage(ctx context.Context, stats StatsReader) (map[string]ContainerSample, error) {
	samples, err := stats.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ContainerSample, len(samples))
	for _, s := range samples {
		out[s.ID] = s
	}
	return out, nil
}
