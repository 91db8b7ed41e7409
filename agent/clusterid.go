package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// ClusterIdentity is the optional part of a ControlPlane that tells the
// cluster's ID (GET /api/v1/cluster), the reconcile.cluster label value of
// every Podman object the agent makes and the filter of every Podman list.
type ClusterIdentity interface {
	ClusterID(ctx context.Context) (string, error)
}

// WaitClusterID asks the control plane for the cluster's ID until it
// answers (the controller may still be starting) or ctx ends. An agent
// cannot run without it: it would not know which Podman pods are its own.
func WaitClusterID(ctx context.Context, cp ControlPlane, log *slog.Logger) (string, error) {
	src, ok := cp.(ClusterIdentity)
	if !ok {
		return "", errors.New("agent: the control plane cannot tell the cluster ID (GET /api/v1/cluster)")
	}
	for {
		id, err := src.ClusterID(ctx)
		if err == nil && id != "" {
			return id, nil
		}
		if err == nil {
			err = errors.New("empty cluster ID")
		}
		log.Warn("asking the controller for the cluster ID failed; retrying in 2s", "err", err)
		if !ctxwait.Sleep(ctx, 2*time.Second) {
			return "", fmt.Errorf("agent: no cluster ID from the controller: %w", err)
		}
	}
}
