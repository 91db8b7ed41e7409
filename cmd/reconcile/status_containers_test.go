package main

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestContainersRepairedLine(t *testing.T) {
	at := func(min int) metav1.Time { return metav1.NewTime(time.Date(2026, 1, 2, 3, min, 0, 0, time.UTC)) }
	evs := []*corev1.Event{
		{Reason: "DriftRepaired", Message: "container hello of pod e2e/web-x was removed outside reconcile (podman rm); recreated", Count: 1, LastTimestamp: at(1)},
		{Reason: "Started", Message: "Started container hello", Count: 3, LastTimestamp: at(9)},
		{Reason: "DriftRepaired", Message: "container hello of pod e2e/web-x was stopped outside reconcile (podman stop, exit code 137); recreated", Count: 2, LastTimestamp: at(5)},
	}
	got := containersRepairedLine(evs)
	want := "containers repaired: 3 (last: container hello of pod e2e/web-x was stopped outside reconcile (podman stop, exit code 137); recreated, "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, at(5).Local().Format("15:04:05")) {
		t.Errorf("got  %q\nwant %q…", got, want)
	}
	// Same second: the one created later (name suffix) is the last.
	tie := []*corev1.Event{
		{ObjectMeta: metav1.ObjectMeta{Name: "web.2"}, Reason: "DriftRepaired", Message: "second", LastTimestamp: at(1)},
		{ObjectMeta: metav1.ObjectMeta{Name: "web.1"}, Reason: "DriftRepaired", Message: "first", LastTimestamp: at(1)},
	}
	if got := containersRepairedLine(tie); !strings.HasPrefix(got, "containers repaired: 2 (last: second, ") {
		t.Errorf("tie: got %q, want the later-created event last", got)
	}
	if got := containersRepairedLine(evs[1:2]); got != "" {
		t.Errorf("no DriftRepaired events: got %q, want no line", got)
	}
}
