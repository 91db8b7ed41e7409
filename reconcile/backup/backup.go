package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/fileutil"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Save writes the controller's snapshot to path (mode 0600: it holds
// Secrets' values), replacing path only once the whole snapshot is on
// disk. It returns the resourceVersion the snapshot holds and its size.
func Save(ctx context.Context, c *apiclient.Client, path string) (rv uint64, size int64, err error) {
	err = fileutil.WriteAtomicFrom(path, 0o600, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		var err error
		rv, err = c.Snapshot(ctx, cw)
		size = cw.n
		return err
	})
	return rv, size, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// RestoreBadger makes the Badger store in dir the snapshot at path. The
// store must not be in use (stop the controller first: the store's lock
// says whether it is); an existing store is moved to
// dir.before-restore-TIMESTAMP, never deleted, and moved back if the
// restore fails. It returns where the old store went ("" if there was
// none).
func RestoreBadger(path, dir string, o store.Options, now time.Time) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	moved := ""
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		probe := o
		probe.LockWait = -1
		st, err := store.OpenWith(dir, probe)
		if errors.Is(err, store.ErrLocked) {
			return "", fmt.Errorf("restore: %w (stop the controller that uses %s first; a snapshot of a running controller is `reconcile snapshot save`)", err, dir)
		}
		if err != nil {
			return "", fmt.Errorf("restore: open the current store to check it is not in use: %w", err)
		}
		st.Close()
		moved = dir + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(dir, moved); err != nil {
			return "", fmt.Errorf("restore: move the current store aside: %w", err)
		}
	}
	if err := store.Restore(f, dir, o); err != nil {
		if moved != "" {
			if rerr := os.Rename(moved, dir); rerr != nil {
				return moved, fmt.Errorf("%w; moving the old store back from %s also failed: %v (move it back by hand)", err, moved, rerr)
			}
		}
		return "", err
	}
	return moved, nil
}

// RestoreEtcd makes the snapshot at path the store in etcd under prefix
// (store.RestoreEtcd): running servers reload it, no need to stop them.
// It returns the restored resourceVersion (the snapshot's plus
// store.RestoreRVBump).
func RestoreEtcd(path string, cli *clientv3.Client, prefix string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	return store.RestoreEtcd(f, cli, store.EtcdOptions{Prefix: prefix})
}

// RestoreServer sends the snapshot at path to a running control plane
// (POST /api/v1/snapshot, admins only), which restores it into its etcd
// store: the way for embedded etcd members (--cluster-init), whose etcd
// only the servers reach. A Badger controller refuses: stop it and use
// RestoreBadger. It returns the restored resourceVersion.
func RestoreServer(ctx context.Context, c *apiclient.Client, path string) (uint64, error) {
	snap, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	return c.RestoreSnapshot(ctx, snap)
}
