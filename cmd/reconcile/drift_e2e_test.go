package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// onlyContainer returns the ID of the one running managed container.
func onlyContainer(t *testing.T) (string, error) {
	ps := psContainers(t)
	if len(ps) != 1 {
		return "", fmt.Errorf("%d managed containers run, want 1", len(ps))
	}
	for id := range ps {
		return id, nil
	}
	return "", nil
}

// Containers removed or stopped by hand in Podman come back (the agent's
// job, as the kubelet's), and a git-managed object changed through the API
// is put back as git has it and counted in `reconcile status`.
func TestDriftIsRepairedE2E(t *testing.T) {
	const v1 = "localhost/reconcile-hello:v1"
	c := newPlainCluster(t, baseFiles(1, v1))
	c.waitRunning(1, v1)

	for _, tc := range []struct {
		how  []string
		want string
	}{
		{[]string{"rm", "-f"}, "was removed outside reconcile (podman rm); recreated"},
		// A plain stop: hello exits 0 on SIGTERM, so only Podman's report
		// of the stop tells it from a clean exit.
		{[]string{"stop", "-t", "10"}, "was stopped outside reconcile (podman stop, exit code 0); recreated"},
		{[]string{"stop", "-t", "0"}, "was stopped outside reconcile (podman stop, exit code 137); recreated"},
	} {
		how, want := tc.how, tc.want
		before, err := onlyContainer(t)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := podmanCmd(append(how, before)...); err != nil {
			t.Fatal(err)
		}
		c.eventually(60*time.Second, "container restored after podman "+how[0], func() error {
			id, err := onlyContainer(t)
			if err != nil {
				return err
			}
			if how[0] == "rm" && id == before {
				return fmt.Errorf("still the removed container %.12s", id)
			}
			return nil
		})
		c.waitRunning(1, v1)
		// The agent tells the hand-made change from a crash and reports it.
		c.eventually(30*time.Second, "DriftRepaired event after podman "+how[0], func() error {
			ev, err := c.run("events", "-n", "e2e")
			if err != nil {
				return err
			}
			for _, line := range strings.Split(ev, "\n") {
				if strings.Contains(line, "DriftRepaired") && strings.Contains(line, want) {
					return nil
				}
			}
			return fmt.Errorf("no DriftRepaired event %q:\n%s", want, ev)
		})
	}

	// Through the API: scale the git-managed Deployment by hand.
	api := c.api()
	ctx := context.Background()
	key := objects.Key{Kind: "Deployment", Namespace: "e2e", Name: "web"}
	o, err := api.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	d := o.(*appsv1.Deployment)
	three := int32(3)
	d.Spec.Replicas = &three
	if _, err := api.Replace(ctx, d); err != nil {
		t.Fatal(err)
	}
	c.eventually(30*time.Second, "the hand edit repaired", func() error {
		s := c.sourceStatus()
		if s.Drift.Repaired < 1 || s.Drift.Last == nil {
			return fmt.Errorf("drift %+v", s.Drift)
		}
		if s.Drift.Last.Object != key.String() || s.Drift.Last.Change != "spec.replicas is 3, git has 1" {
			return fmt.Errorf("last drift %+v", s.Drift.Last)
		}
		return nil
	})
	o, err = api.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if r := *o.(*appsv1.Deployment).Spec.Replicas; r != 1 {
		t.Errorf("replicas after heal: %d", r)
	}
	c.waitRunning(1, v1)
	text, err := c.run("status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"containers repaired: 3 (last: container hello of pod e2e/web-", "was stopped outside reconcile (podman stop, exit code 137); recreated, ",
		"drift:     heal", "repaired 1", "last drift:", "Deployment/e2e/web: spec.replicas is 3, git has 1 (repaired)"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}
