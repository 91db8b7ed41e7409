package apiserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The log route finds the pod's node, proxies to that agent's log port with
// no token (the admin token never goes to a node), and defaults the
// container as kubectl does.
func TestPodLogProxy(t *testing.T) {
	var gotPath, gotAuth string
	agentSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.RequestURI(), r.Header.Get("Authorization")
		fmt.Fprintf(w, "line 1\nline 2\n")
	}))
	defer agentSrv.Close()
	_, portStr, _ := net.SplitHostPort(strings.TrimPrefix(agentSrv.URL, "http://"))
	port, _ := strconv.Atoi(portStr)

	st, c := newTestServer(t, "s3cret")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	objects.SetTypeMeta(node, "Node")
	one := pod("one", "n1")
	two := pod("two", "n1")
	two.Spec.Containers = append(two.Spec.Containers, corev1.Container{Name: "side", Image: "img"})
	unbound := pod("unbound", "")
	err := st.Update(func(tx *store.Tx) error {
		for _, o := range []objects.Object{node, one, two, unbound} {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := c.Logs(ctx, "default", "one", apiclient.LogOptions{Previous: true, TailLines: 5}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "line 1\nline 2\n" || gotPath != "/containerLogs/default/one/c?previous=true&tailLines=5" || gotAuth != "" {
		t.Errorf("proxied %q to %s with %q", out.String(), gotPath, gotAuth)
	}
	for name, want := range map[string]string{
		"two":     "a container name must be specified for pod two, choose one of: [c side]",
		"unbound": "is not scheduled to a node yet",
		"absent":  "not found",
	} {
		err := c.Logs(ctx, "default", name, apiclient.LogOptions{}, &out)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("logs of %s: %v, want an error saying %q", name, err, want)
		}
	}
	if err := c.Logs(ctx, "default", "two", apiclient.LogOptions{Container: "side", Follow: true}, &out); err != nil || gotPath != "/containerLogs/default/two/side?follow=true" {
		t.Errorf("container side, follow: %v, path %s", err, gotPath)
	}
}
