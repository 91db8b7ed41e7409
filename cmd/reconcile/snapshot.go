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
restore writes into a stopped controller's data directory.

Not in a snapshot: the data directory's keys (pki/ with the cluster CA agents trust, store.key, the secrets identity).
Back those up once; they do not change with commits.`,
	}
	cmd.AddCommand(newSnapshotSaveCmd(g), newSnapshotRestoreCmd())
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

func newSnapshotRestoreCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Make FILE the store of the controller whose data directory is --data (stop the controller first)",
		Long: `Restore replaces DATA/store with the snapshot in FILE; the store there is moved to
DATA/store.before-restore-TIMESTAMP, never deleted. The controller must be stopped (restore refuses while its
store is locked). Start it again afterwards: agents list again and keep their running pods.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
	cmd.Flags().StringVar(&data, "data", defaultDataDir(), "the controller's data directory")
	return cmd
}
