package agent

import (
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

func TestPodUsage(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(10 * time.Second)
	running := func(id, name string) ObservedContainer {
		return ObservedContainer{ID: id, Name: name, State: "running"}
	}
	pods := []ObservedPod{
		{Key: "shop/web", UID: "u1", Containers: []ObservedContainer{running("c1", "app"), running("c2", "side")}},
		{Key: "shop/new", UID: "u2", Containers: []ObservedContainer{running("c3", "app")}},         // one reading only
		{Key: "shop/restarted", UID: "u3", Containers: []ObservedContainer{running("c4", "app")}},   // counter went back
		{Key: "shop/done", UID: "u4", Containers: []ObservedContainer{{ID: "c5", State: "exited"}}}, // nothing running
	}
	prev := map[string]ContainerSample{
		"c1": {ID: "c1", CPUNanos: 1e9, At: t0},
		"c2": {ID: "c2", CPUNanos: 0, At: t0},
		"c4": {ID: "c4", CPUNanos: 9e9, At: t0},
	}
	cur := map[string]ContainerSample{
		"c1": {ID: "c1", CPUNanos: 6e9, MemoryWorkingSet: 64 << 20, At: t1}, // 5 s of CPU in 10 s: 500m
		"c2": {ID: "c2", CPUNanos: 1e8, MemoryWorkingSet: 1 << 20, At: t1},  // 10m
		"c3": {ID: "c3", CPUNanos: 1e9, At: t1},
		"c4": {ID: "c4", CPUNanos: 1e9, At: t1},
	}
	got := PodUsage(pods, prev, cur)
	if len(got) != 1 || got[0].Name != "web" || got[0].Namespace != "shop" || got[0].UID != "u1" {
		t.Fatalf("want only shop/web reported, got %+v", got)
	}
	web := got[0]
	if web.Window.Duration != 10*time.Second || !web.Timestamp.Time.Equal(t1) {
		t.Errorf("window %v at %v, want 10s at %v", web.Window.Duration, web.Timestamp, t1)
	}
	if cpu := podmetrics.CPU(web.Containers[0].Usage); cpu != 500 {
		t.Errorf("app cpu = %dm, want 500m", cpu)
	}
	if cpu := podmetrics.CPU(web.Containers[1].Usage); cpu != 10 {
		t.Errorf("side cpu = %dm, want 10m", cpu)
	}
	if mem := podmetrics.Memory(web.Containers[0].Usage); mem != 64<<20 {
		t.Errorf("app memory = %d, want %d", mem, 64<<20)
	}
	total := podmetrics.PodTotal(web)
	if podmetrics.CPU(total) != 510 {
		t.Errorf("pod total cpu = %dm, want 510m", podmetrics.CPU(total))
	}
}
