package authz

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

func TestAdmitUsage(t *testing.T) {
	nodeA := Identity{Name: "node:a", Role: RoleNode, Node: "a"}
	admin := Identity{Name: TokenUser, Role: RoleAdmin}
	pm := func(name, uid string) podmetrics.PodMetrics {
		return podmetrics.PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: k8stypes.UID(uid)}}
	}
	u, _ := url.Parse("/api/v1/nodes/a/usage")
	a, _ := ParseRequest("PUT", u)
	for _, tc := range []struct {
		name string
		id   Identity
		pods []podmetrics.PodMetrics
		want string // admitted pod names, or the error
	}{
		{"its own pods", nodeA, []podmetrics.PodMetrics{pm("web", ""), pm("proj", "")}, "web proj"},
		{"a pod that is gone is dropped", nodeA, []podmetrics.PodMetrics{pm("web", ""), pm("gone", "")}, "web"},
		{"an older pod of the same name is dropped", nodeA, []podmetrics.PodMetrics{pm("web", "old-uid")}, ""},
		{"another node's pod is refused", nodeA, []podmetrics.PodMetrics{pm("web", ""), pm("other", "")}, `error: may report usage only for pods bound to it, not pod shop/other on node "b"`},
		{"an admin's report is filtered", admin, []podmetrics.PodMetrics{pm("web", ""), pm("other", "")}, "web"},
	} {
		got, err := AdmitUsage(tc.id, a, podmetrics.NodeReport{Node: "a", Pods: tc.pods}, testGraph())
		if strings.HasPrefix(tc.want, "error: ") {
			if err == nil || !errors.Is(err, apierrors.ErrForbidden) || !strings.Contains(err.Error(), strings.TrimPrefix(tc.want, "error: ")) {
				t.Errorf("%s: %v, want Forbidden %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var names []string
		for _, p := range got.Pods {
			names = append(names, p.Name)
		}
		if strings.Join(names, " ") != tc.want {
			t.Errorf("%s: admitted %v, want %q", tc.name, names, tc.want)
		}
	}
}

// FuzzAdmitUsage: whatever a node sends as its usage report, what is
// admitted names only pods bound to it.
func FuzzAdmitUsage(f *testing.F) {
	f.Add(`{"node":"a","pods":[{"metadata":{"namespace":"shop","name":"web"},"containers":[{"name":"c","usage":{"cpu":"5m"}}]}]}`)
	f.Add(`{"node":"a","pods":[{"metadata":{"namespace":"shop","name":"other"}}]}`)
	f.Add(`{"node":"a","pods":[{"metadata":{"namespace":"","name":""}},null]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r podmetrics.NodeReport
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		r.Node = "a"
		u, _ := url.Parse("/api/v1/nodes/a/usage")
		a, _ := ParseRequest("PUT", u)
		got, err := AdmitUsage(Identity{Name: "node:a", Role: RoleNode, Node: "a"}, a, r, testGraph())
		if err != nil {
			return
		}
		g := testGraph()
		for _, p := range got.Pods {
			pod, _ := g.Pod(p.Namespace, p.Name)
			if pod == nil || pod.Spec.NodeName != "a" {
				t.Fatalf("admitted usage of %s/%s, not bound to node a", p.Namespace, p.Name)
			}
		}
	})
}
