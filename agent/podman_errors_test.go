package agent

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// A failed Podman API call is reported with its operation; a call that
// succeeds, or one Podman answers "no such" to that the runtime treats as
// done, is not.
func TestPodmanRuntimeReportsAPIErrors(t *testing.T) {
	sock := requirePodman(t)
	rt, err := NewPodmanRuntime(context.Background(), sock, testClusterIDFor(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ops []string
	rt.OnAPIError(func(op string) { mu.Lock(); ops = append(ops, op); mu.Unlock() })
	ctx := context.Background()
	if _, err := rt.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveContainer(ctx, "reconcile-test-no-such-container"); err != nil {
		t.Fatalf("removing a container that does not exist: %v (the runtime treats it as removed)", err)
	}
	if _, _, err := rt.Exec(ctx, "reconcile-test-no-such-container", []string{"true"}); err == nil {
		t.Fatal("exec in a container that does not exist succeeded")
	}
	if err := rt.PullImage(ctx, "localhost:1/reconcile/no-such-image:v0", nil); err == nil {
		t.Fatal("pulling from a registry that does not exist succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"exec", "pull_image"}; !slices.Equal(ops, want) {
		t.Fatalf("reported operations %q, want %q", ops, want)
	}
}
