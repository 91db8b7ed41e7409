package controllers

import (
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// succeedBoundPods plays the agent: every bound pod that has not finished
// reports Succeeded.
func succeedBoundPods(t *testing.T, st *store.Store) {
	t.Helper()
	write(t, st, func(tx *store.Tx) error {
		objs, err := tx.List("Pod", "")
		if err != nil {
			return err
		}
		for _, o := range objs {
			p := o.(*corev1.Pod)
			if p.Spec.NodeName != "" && p.Status.Phase != corev1.PodSucceeded && p.DeletionTimestamp == nil {
				p.Status.Phase = corev1.PodSucceeded
				if err := tx.UpdateStatus(p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func storedJob(t *testing.T, st *store.Store, name string) *batchv1.Job {
	t.Helper()
	o, err := st.Get(objects.Key{Kind: "Job", Namespace: "default", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return o.(*batchv1.Job)
}

func TestManagerRunsJobToCompletion(t *testing.T) {
	st := startManager(t, Options{})
	registerNode(t, st, "n1", "4", time.Now(), true)
	write(t, st, func(tx *store.Tx) error {
		return tx.Create(newJob("batch", ptr.To(int32(3)), ptr.To(int32(2)), corev1.RestartPolicyNever))
	})
	maxActive := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		running := 0
		for _, p := range storedPods(t, st) {
			if p.Status.Phase != corev1.PodSucceeded {
				running++
			}
		}
		maxActive = max(maxActive, running)
		j := storedJob(t, st, "batch")
		if jobConditionTrue(j, batchv1.JobComplete) {
			if j.Status.Succeeded != 3 || len(storedPods(t, st)) != 3 {
				t.Fatalf("complete with %d succeeded and %d pods, want 3 and 3", j.Status.Succeeded, len(storedPods(t, st)))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not complete: %+v", j.Status)
		}
		succeedBoundPods(t, st)
		time.Sleep(5 * time.Millisecond)
	}
	if maxActive > 2 {
		t.Fatalf("%d pods ran at once, parallelism is 2", maxActive)
	}
	evs, _, _ := st.List("Event", "default")
	reasons := map[string]int{}
	for _, o := range evs {
		ev := o.(*corev1.Event)
		reasons[ev.Reason] += int(ev.Count)
	}
	if reasons["SuccessfulCreate"] != 3 || reasons["Completed"] != 1 || reasons["Scheduled"] != 3 {
		t.Fatalf("events %v, want 3 SuccessfulCreate, 3 Scheduled and 1 Completed", reasons)
	}
}

func TestManagerCronJobOnInjectedClock(t *testing.T) {
	clock := testkit.NewClock(time.Now().Truncate(time.Minute).Add(30 * time.Second))
	st := startManager(t, Options{Now: clock.Now, Resync: 5 * time.Millisecond})
	registerNode(t, st, "n1", "4", clock.Now(), true)
	cj := newCronJob("* * * * *", batchv1.ForbidConcurrent)
	cj.UID = "" // the store sets uid and creationTimestamp
	write(t, st, func(tx *store.Tx) error { return tx.Create(cj) })
	start := clock.Now()
	for m := 1; m <= 3; m++ {
		clock.Add(time.Minute)
		registerNode(t, st, "n1", "4", clock.Now(), true) // heartbeat on the fake clock
		want := fmt.Sprintf("tick-%d", start.Add(time.Duration(m)*time.Minute).Truncate(time.Minute).Unix()/60)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := st.Get(objects.Key{Kind: "Job", Namespace: "default", Name: want}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				objs, _, _ := st.List("Job", "")
				t.Fatalf("minute %d: no job %s; jobs %d", m, want, len(objs))
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Forbid: the job of the next minute waits for this one, so let
		// its pod run to success and the job complete before moving on
		// (its pod may not be bound yet when the job first appears).
		for !jobConditionTrue(storedJob(t, st, want), batchv1.JobComplete) {
			if time.Now().After(deadline) {
				t.Fatalf("minute %d: job %s did not complete: %+v", m, want, storedJob(t, st, want).Status)
			}
			succeedBoundPods(t, st)
			time.Sleep(5 * time.Millisecond)
		}
	}
}
