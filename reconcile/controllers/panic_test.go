package controllers

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// annotatingStep is a test controller over ConfigMaps: it marks each one
// reconciled, and panics on the one named "bad" with a long value.
func annotatingStep(badCalls *atomic.Int32) Step {
	return objectStep(func(in Inputs, cm *corev1.ConfigMap) Changes {
		if cm.Name == "bad" {
			badCalls.Add(1)
			panic(strings.Repeat("boom ", 100))
		}
		if cm.Annotations["test/reconciled"] == "true" {
			return Changes{}
		}
		c := cm.DeepCopy()
		objects.SetTypeMeta(c, "ConfigMap")
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, "test/reconciled", "true")
		return Changes{Update: []objects.Object{c}}
	})
}

func configMap(name string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(cm, "ConfigMap")
	return cm
}

// TestControllerStepPanicIsIsolated registers a step that panics on one
// ConfigMap: the other ConfigMap is still reconciled, the registry's own
// controllers keep working (a Deployment's pods get bound), the bad object
// gets a ReconcilerPanic Warning event quoting at most 200 characters of
// the panic, the log has its key and the stack, and the key is retried.
// A panic in the controller's watch mapping is logged and skipped too.
func TestControllerStepPanicIsIsolated(t *testing.T) {
	var badCalls atomic.Int32
	logs := &testkit.SyncBuffer{}
	test := Controller{Kind: "ConfigMap", Component: "test-controller", Step: annotatingStep(&badCalls),
		Watches: map[string]MapFunc{"Secret": func(*cache, objects.Object, objects.Object) []objects.Key { panic("map func") }}}
	st := startManager(t, Options{Controllers: append(Registry(), test), Log: slog.New(slog.NewTextHandler(logs, nil))})
	registerNode(t, st, "n1", "4", time.Now(), true)
	write(t, st, func(tx *store.Tx) error {
		for _, cm := range []*corev1.ConfigMap{configMap("bad"), configMap("good")} {
			if err := tx.Create(cm); err != nil {
				return err
			}
		}
		return tx.Create(deployment("web", 2, "img"))
	})

	waitFor(t, st, "the good ConfigMap reconciled and the Deployment's pods bound", func(pods []*corev1.Pod, rses []*appsv1.ReplicaSet) string {
		o, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "good"})
		if err != nil {
			return err.Error()
		}
		if o.GetAnnotations()["test/reconciled"] != "true" {
			return "good ConfigMap not reconciled"
		}
		return boundPods(2, "n1", "img")(pods, rses)
	})
	// The Secret comes once the manager reconciles, so it reaches the
	// controller as a watch event (in the first list it would not).
	write(t, st, func(tx *store.Tx) error {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "s"}}
		objects.SetTypeMeta(secret, "Secret")
		return tx.Create(secret)
	})
	waitFor(t, st, "a ReconcilerPanic event on the bad ConfigMap, retried", func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		evs, _, err := st.List("Event", "default")
		if err != nil {
			return err.Error()
		}
		for _, o := range evs {
			ev := o.(*corev1.Event)
			if ev.InvolvedObject.Kind != "ConfigMap" || ev.InvolvedObject.Name != "bad" {
				continue
			}
			if ev.Type != corev1.EventTypeWarning || ev.Reason != ReasonReconcilerPanic || ev.Source.Component != "test-controller" {
				return fmt.Sprintf("event %s %s from %s", ev.Type, ev.Reason, ev.Source.Component)
			}
			if n := strings.Count(ev.Message, "boom"); n == 0 || n > maxPanicMessage/len("boom ")+1 {
				return fmt.Sprintf("event message quotes %d booms: %q", n, ev.Message)
			}
			if badCalls.Load() < 2 {
				return "bad ConfigMap not retried yet"
			}
			return ""
		}
		return "no event on ConfigMap/default/bad"
	})
	// The watch mapping's panic is logged by the watch goroutine, not in
	// step with the state waited for above: wait for the log too.
	var got string
	testkit.Eventually(t, 10*time.Second, "the panics in the log", func() error {
		got = logs.String()
		for _, want := range []string{"controller step panicked", "key=ConfigMap/default/bad", "goroutine ", "panic_test.go",
			"marking the work of a watch event panicked", "key=Secret/default/s"} {
			if !strings.Contains(got, want) {
				return fmt.Errorf("log lacks %q:\n%s", want, got)
			}
		}
		return nil
	})
	if strings.Contains(got, "key=ConfigMap/default/good") {
		t.Errorf("the good ConfigMap was logged as failing:\n%s", got)
	}
}

func TestPanicValueIsOneShortLine(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"plain", "plain"},
		{fmt.Errorf("wrapped: %w", store.ErrConflict), "wrapped: " + store.ErrConflict.Error()},
		{"two\nlines\t here", "two lines here"},
		{strings.Repeat("x", 500), strings.Repeat("x", maxPanicMessage) + "…"},
	} {
		if got := panicValue(tc.in); got != tc.want {
			t.Errorf("panicValue(%.20q…) = %q, want %q", fmt.Sprint(tc.in), got, tc.want)
		}
	}
}
