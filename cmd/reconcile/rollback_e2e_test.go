package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func (c *cluster) sourceStatus() sources.Status {
	c.t.Helper()
	out, err := c.run("status", "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var rep apitypes.StatusReport
	err = json.Unmarshal([]byte(out), &rep)
	sts := rep.Sources
	if err != nil || len(sts) != 1 {
		c.t.Fatalf("status -o json: %v: %s", err, out)
	}
	return sts[0]
}

func (c *cluster) waitApplied(commit string) {
	c.t.Helper()
	c.eventually(30*time.Second, "commit "+commit[:8]+" applied", func() error {
		if s := c.sourceStatus(); s.LastAppliedCommit != commit {
			return fmt.Errorf("applied %.8s, errors %v", s.LastAppliedCommit, s.Errors)
		}
		return nil
	})
}

// Containers follow v2, a rollback brings v1 back and pins the source (a
// new commit is fetched, not applied), and resuming applies the newest.
func TestRollbackPinResumeE2E(t *testing.T) {
	const v1, v2 = "localhost/reconcile-hello:v1", "localhost/reconcile-hello:v2"
	c := newPlainCluster(t, baseFiles(1, v1))
	c.waitRunning(1, v1)
	first := testkit.Run(t, c.repo, "rev-parse", "HEAD")
	second := c.commit("v2", map[string]string{"web.yaml": deployment(1, v2)})
	c.waitApplied(second)
	c.waitRunning(1, v2)

	out, err := c.run("rollback", first[:10])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "rolled back to "+first[:12]) {
		t.Errorf("rollback output: %s", out)
	}
	c.waitRunning(1, v1)
	if s := c.sourceStatus(); !s.Pinned || s.PinnedCommit != first {
		t.Fatalf("pinned to %.8s after the rollback: %+v", first, s)
	}

	third := c.commit("v2, two replicas", map[string]string{"web.yaml": deployment(2, v2)})
	c.eventually(30*time.Second, "the new commit fetched while pinned", func() error {
		if s := c.sourceStatus(); s.PendingCommit != third {
			return fmt.Errorf("pending %.8s", s.PendingCommit)
		}
		return nil
	})
	text, err := c.run("status")
	if err != nil || !strings.Contains(text, "pinned:    yes, to "+first[:12]) || !strings.Contains(text, "waiting:   "+third[:12]) {
		t.Errorf("status shows the pin and the waiting commit: %v\n%s", err, text)
	}
	c.waitRunning(1, v1) // still v1: the pinned source applied nothing
	if s := c.sourceStatus(); s.LastAppliedCommit != first {
		t.Fatalf("a pinned source applied %.8s", s.LastAppliedCommit)
	}

	if _, err := c.run("sync", "--resume"); err != nil {
		t.Fatal(err)
	}
	c.waitApplied(third)
	c.waitRunning(2, v2)
	if s := c.sourceStatus(); s.Pinned {
		t.Errorf("still pinned after resume: %+v", s)
	}

	out, err = c.run("history", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var h reconcile.SourceHistory
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.Entries {
		got = append(got, fmt.Sprintf("%.8s rollback=%v", e.Commit, e.Rollback))
	}
	want := []string{third[:8] + " rollback=false", first[:8] + " rollback=true", second[:8] + " rollback=false", first[:8] + " rollback=false"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("history %v, want %v", got, want)
	}
	text, err = c.run("history")
	if err != nil || !strings.Contains(text, "rollback") || !strings.Contains(text, "Deployment ~1") {
		t.Errorf("history table: %v\n%s", err, text)
	}
}
