package apitypes

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestListAndWatchEventRoundTrip: what the server encodes the client
// decodes into typed objects.
func TestListAndWatchEventRoundTrip(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}}
	objects.SetTypeMeta(p, "Pod")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	objects.SetTypeMeta(cm, "ConfigMap")
	b, err := json.Marshal(List{APIVersion: "v1", Kind: "List", Metadata: ListMeta{ResourceVersion: "42"}, Items: []objects.Object{p, cm}})
	if err != nil {
		t.Fatal(err)
	}
	var l List
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.Metadata.ResourceVersion != "42" || len(l.Items) != 2 {
		t.Fatalf("list %+v", l)
	}
	if _, ok := l.Items[0].(*corev1.Pod); !ok {
		t.Errorf("item 0 is %T", l.Items[0])
	}
	if c, ok := l.Items[1].(*corev1.ConfigMap); !ok || c.Data["k"] != "v" {
		t.Errorf("item 1 is %#v", l.Items[1])
	}

	b, _ = json.Marshal(WatchEvent{Type: "MODIFIED", Object: p, ResourceVersion: 7})
	var ev WatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "MODIFIED" || ev.ResourceVersion != 7 || ev.Object.GetName() != "web" {
		t.Errorf("event %+v", ev)
	}
	if err := json.Unmarshal([]byte(`{"type":"ADDED","object":{"kind":"Gadget"}}`), &ev); err == nil {
		t.Error("an event of an unknown kind was decoded")
	}
}
