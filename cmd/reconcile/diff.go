package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

type diffFlags struct {
	repo, base, head, path, ref, source, output string
	exitCode, preview                           bool
	limits                                      limitFlags
}

func newDiffCmd(g *globalFlags) *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff [DIR]",
		Short: "Show what a change will do, offline between two refs or against the live controller",
		Long: `Show the plan of a change: which objects are created, changed (field by field) and deleted.

Offline, for pull-request review, with no server:
  reconcile diff --repo DIR --base REF --head REF [--path P]

Against the live state of a running controller (the working tree DIR, or a committed --ref):
  reconcile diff [--server URL] [DIR | --repo DIR --ref REF] [--preview]

--preview adds where the new pods would be scheduled (the controllers' and the scheduler's own
logic over the live nodes and pods, as nomad job plan does): per new workload, the nodes its pods
go to, or why they fit on none.

Secret values never appear, nor hashes of them: a Secret's keys show as changed or unchanged.
A live diff asks the controller to compare Secret values (plain or age-encrypted), so a clean
tree diffs clean.

Exit status: 0 on success; with --exit-code, 0 when there are no changes and 2 when there are;
1 on any error.`,
		Example: `  reconcile diff --repo . --base origin/main --head HEAD -o markdown > plan.md
  reconcile diff examples/demo --exit-code`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.preview && f.output == "json" {
				return errors.New("--preview prints with -o text or markdown")
			}
			plan, err := f.plan(cmd.Context(), g, args)
			var bad *invalidTree
			if errors.As(err, &bad) && (f.output == "markdown" || f.output == "md") {
				// A pull-request comment says why the change cannot deploy.
				if werr := bad.markdown(cmd.OutOrStdout()); werr != nil {
					return werr
				}
				return &exitError{code: 1, err: err}
			}
			if err != nil {
				return err
			}
			if err := render(cmd.OutOrStdout(), plan, f.output); err != nil {
				return err
			}
			if f.preview {
				if err := f.renderPreview(cmd.Context(), g, cmd.OutOrStdout(), plan); err != nil {
					return err
				}
			}
			if len(plan.Errors) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("the plan has %d error(s)", len(plan.Errors))}
			}
			if f.exitCode && len(plan.Changes) > 0 {
				return &exitError{code: 2}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.repo, "repo", "", "git repository (offline with --base/--head, or live with --ref)")
	cmd.Flags().StringVar(&f.base, "base", "", "offline: the ref the change starts from (e.g. main)")
	cmd.Flags().StringVar(&f.head, "head", "", "offline: the ref of the change (e.g. HEAD)")
	cmd.Flags().StringVar(&f.path, "path", "", "sub-directory of the repo holding the manifests")
	cmd.Flags().StringVar(&f.ref, "ref", "", "live: diff this committed ref of --repo instead of a working tree")
	cmd.Flags().StringVar(&f.source, "source", "", "live: the source whose objects may be pruned (default: the controller's only source)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text, markdown or json")
	cmd.Flags().BoolVar(&f.exitCode, "exit-code", false, "exit 2 when there are changes, 0 when there are none")
	cmd.Flags().BoolVar(&f.preview, "preview", false, "live: also show which node each new pod would go to, or why none fits")
	f.limits.register(cmd.Flags())
	return cmd
}

func render(w io.Writer, plan reconcile.Plan, output string) error {
	switch output {
	case "text", "":
		return reconcile.RenderText(w, plan, isTerminal(w))
	case "markdown", "md":
		return reconcile.RenderMarkdown(w, plan)
	case "json":
		return reconcile.RenderJSON(w, plan)
	}
	return fmt.Errorf("unknown output format %q: use text, markdown or json", output)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (f *diffFlags) plan(ctx context.Context, g *globalFlags, args []string) (reconcile.Plan, error) {
	v, err := newLimitedValidator(&f.limits, "")
	if err != nil {
		return reconcile.Plan{}, err
	}
	if f.base != "" || f.head != "" {
		if f.base == "" || f.head == "" || f.repo == "" {
			return reconcile.Plan{}, errors.New("offline diff needs --repo, --base and --head")
		}
		base, err := loadRef(v, f.repo, f.base, f.path)
		if err != nil {
			return reconcile.Plan{}, err
		}
		head, err := loadRef(v, f.repo, f.head, f.path)
		if err != nil {
			return reconcile.Plan{}, err
		}
		// The base is what would be stored: mark it as this source's so
		// that objects the head drops show as deletions.
		const src = "diff"
		stored := reconcile.Stamp(base, src)
		return reconcile.PlanChanges(head, stored, reconcile.PlanOptions{Source: src, Prune: true}), nil
	}
	return f.livePlan(ctx, g, v, args)
}

// loadRef validates the committed tree of repo at ref; a schema error is
// an error of the diff, with every position listed.
func loadRef(v *schema.Validator, repo, ref, path string) ([]reconcile.Desired, error) {
	snap, err := gitsync.SnapshotAt(repo, ref, path)
	if err != nil {
		return nil, err
	}
	return validated(v, snap.Files, fmt.Sprintf("%s at %s", repo, ref))
}

func validated(v *schema.Validator, files []schema.File, where string) ([]reconcile.Desired, error) {
	res := v.Validate(files)
	if len(res.Errors) > 0 {
		return nil, &invalidTree{where: where, errs: res.Errors}
	}
	out := make([]reconcile.Desired, 0, len(res.Manifests))
	for _, m := range res.Manifests {
		out = append(out, reconcile.Desired{Object: m.Object, Path: m.Path, Line: m.Line, Col: m.Col})
	}
	return out, nil
}

var _ = objects.KeyOf

// invalidTree: a tree with schema or policy errors; the controller would
// refuse the commit.
type invalidTree struct {
	where string
	errs  []schema.Error
}

func (e *invalidTree) Error() string {
	msg := fmt.Sprintf("%s is invalid:", e.where)
	for _, se := range e.errs {
		msg += "\n  " + se.Error()
	}
	return msg
}

// markdown writes the errors as a pull-request comment body.
func (e *invalidTree) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### reconcile plan\n\n**The change cannot deploy: %d error(s).** The controller would refuse this commit and keep running the last good one.\n\n```\n", len(e.errs))
	for _, se := range e.errs {
		b.WriteString(strings.ReplaceAll(se.Error(), "```", "`\u200b``") + "\n")
	}
	b.WriteString("```\n")
	_, err := io.WriteString(w, b.String())
	return err
}
