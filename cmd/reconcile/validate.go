package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/schema"
)

func newValidateCmd() *cobra.Command {
	var limits limitFlags
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check a tree of manifests against schema.cue",
		Long: `Check every .yaml, .yml, .json and .cue file under DIR (default: the current directory) against
the schema. Every error is printed as file:line:col: field.path: message.

Exit status: 0 when the tree is valid, 1 when it is not.`,
		Example: `  reconcile validate examples/demo`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			files, err := schema.ReadDir(dir)
			if err != nil {
				return err
			}
			v, err := newLimitedValidator(&limits, "")
			if err != nil {
				return err
			}
			res := v.Validate(files)
			for _, e := range res.Errors {
				// Paths relative to where the user stands, so editors can jump to them.
				e.Path = filepath.ToSlash(filepath.Join(dir, e.Path))
				fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
			}
			if len(res.Errors) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d error(s) in %s", len(res.Errors), dir)}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d object(s) valid\n", dir, len(res.Manifests))
			return nil
		},
	}
	limits.register(cmd.Flags())
	return cmd
}
