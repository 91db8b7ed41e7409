package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/backup"
)

// newSnapshotCmd: `reconcile snapshot save|restore` (reconcile/backup).
func newSnapshotCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save the control plane's store to a file, or restore it from one",
		Long: `A snapshot is the whole store at one resourceVersion: every object (Secrets with their values) and side
record (source status, history, join tokens, leases), with a checksum. Save asks a running controller (admins only);
restore writes into a stopped controller's data directory (Badger), into etcd (--store etcd), or through a running
server (--server-side: embedded etcd members).

Not in a snapshot: the data directory's keys (pki/ with the cluster CA agents trust, store.key, the secrets identity).
Back those up once; they do not change with commits.`,
	}
	cmd.AddCommand(newSnapshotSaveCmd(g), newSnapshotRestoreCmd(g))
	return cmd
}

func newSnapshotSaveCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "save FILE",
		Short: "Write a snapshot of the running controller's store to FILE (mode 0600: it holds Secrets' values)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			rv, size, err := backup.Save(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "snapshot of resourceVersion %d (%d bytes) written to %s\n", rv, size, args[0])
			return nil
		},
	}
}

func newSnapshotRestoreCmd(g *globalFlags) *cobra.Command {
	var data string
	var serverSide bool
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Make FILE the control plane's store: Badger (--data, controller stopped) or etcd (--store etcd, or --server-side)",
		Long: `Every restore moves the resourceVersion far past the snapshot's (as etcdutl's --bump-revision
--mark-compacted): agents and clients that watched before get 410 Gone, list again and keep their running pods.

Badger (the single-server default): restore replaces DATA/store with the snapshot in FILE; the store there is
moved to DATA/store.before-restore-TIMESTAMP, never deleted. The controller must be stopped (restore refuses while
its store is locked). Start it again afterwards.

An external etcd (--store etcd --etcd-endpoints … with its TLS flags, as the controllers were started): the
snapshot replaces the store in etcd; the running servers reload it, no need to stop them.

Embedded etcd members (--cluster-init/--join) or any control plane on etcd reachable only through its API:
--server-side sends FILE to a running server (admins only; --server or the configured one), which restores it
the same way.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case serverSide && sf.engine == "etcd":
				return fmt.Errorf("--server-side and --store etcd both restore into etcd: choose one (--server-side through a server's API, --store etcd straight into the etcd cluster)")
			case serverSide:
				c, err := g.client()
				if err != nil {
					return err
				}
				rv, err := backup.RestoreServer(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "restored %s into the control plane's store (resourceVersion %d); every server reloaded it\n", args[0], rv)
				return nil
			case sf.engine == "etcd":
				cli, err := sf.etcdClient()
				if err != nil {
					return err
				}
				defer cli.Close()
				rv, err := backup.RestoreEtcd(args[0], cli, sf.prefix)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "restored %s into etcd under %s (resourceVersion %d); running servers reload it\n", args[0], sf.prefix, rv)
				return nil
			case sf.engine != "badger" && sf.engine != "":
				return fmt.Errorf("--store %q: want badger or etcd", sf.engine)
			}
			dir, o, err := storeOptions(data, newLogger(), 0, 0)
			if err != nil {
				return err
			}
			moved, err := backup.RestoreBadger(args[0], dir, o, time.Now())
			if err != nil {
				return err
			}
			if moved != "" {
				fmt.Fprintf(os.Stderr, "the previous store is in %s\n", moved)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s; start the controller\n", args[0], dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir(), "the controller's data directory (Badger)")
	cmd.Flags().BoolVar(&serverSide, "server-side", false, "send FILE to a running server, which restores its etcd store (embedded members: --cluster-init/--join)")
	sf.register(cmd.Flags())
	return cmd
}
