package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/preview"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// livePlan diffs a working tree (or a committed ref) against what a
// running controller stores: the plan the controller would make if this
// were committed and fetched.
func (f *diffFlags) livePlan(ctx context.Context, g *globalFlags, v *schema.Validator, args []string) (reconcile.Plan, error) {
	var want []reconcile.Desired
	var err error
	switch {
	case f.ref != "":
		if f.repo == "" {
			f.repo = "."
		}
		want, err = loadRef(v, f.repo, f.ref, f.path)
	default:
		dir := "."
		if len(args) == 1 {
			dir = args[0]
		}
		var files []schema.File
		if files, err = schema.ReadDir(dir); err == nil {
			want, err = validated(v, files, dir)
		}
	}
	if err != nil {
		return reconcile.Plan{}, err
	}
	c, err := g.client()
	if err != nil {
		return reconcile.Plan{}, err
	}
	source := f.source
	if source == "" {
		sts, err := c.Sources(ctx)
		if err != nil {
			return reconcile.Plan{}, err
		}
		if len(sts) != 1 {
			return reconcile.Plan{}, fmt.Errorf("the controller has %d sources: name one with --source", len(sts))
		}
		source = sts[0].Name
	}
	var stored []objects.Object
	for _, k := range objects.Kinds() {
		if !k.Manifest {
			continue
		}
		items, _, err := c.List(ctx, k.Kind, "", nil)
		if err != nil {
			return reconcile.Plan{}, err
		}
		stored = append(stored, items...)
	}
	want, warnings, err := comparedSecrets(ctx, c, want, stored)
	if err != nil {
		return reconcile.Plan{}, err
	}
	plan := reconcile.PlanChanges(want, stored, reconcile.PlanOptions{Source: source, Prune: true})
	plan.Warnings = append(plan.Warnings, warnings...)
	return plan, nil
}

// renderPreview appends the scheduling preview of plan on the live nodes
// and pods (reconcile/preview).
func (f *diffFlags) renderPreview(ctx context.Context, g *globalFlags, w io.Writer, plan reconcile.Plan) error {
	if f.base != "" || f.head != "" {
		return errors.New("--preview needs the live cluster: use it without --base/--head")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	nodeObjs, _, err := c.List(ctx, "Node", "", nil)
	if err != nil {
		return err
	}
	podObjs, _, err := c.List(ctx, "Pod", "", nil)
	if err != nil {
		return err
	}
	nodes := make([]*corev1.Node, 0, len(nodeObjs))
	for _, o := range nodeObjs {
		nodes = append(nodes, o.(*corev1.Node))
	}
	pods := make([]*corev1.Pod, 0, len(podObjs))
	for _, o := range podObjs {
		pods = append(pods, o.(*corev1.Pod))
	}
	ws := preview.Plan(plan, nodes, pods, time.Now())
	switch f.output {
	case "markdown", "md":
		return preview.RenderMarkdown(w, ws)
	}
	return preview.RenderText(w, ws)
}

// comparedSecrets: the CLI cannot read the stored Secret values (the API
// masks them) nor decrypt "age:" ones, so the controller compares them
// (POST /api/v1/diff/secrets) and each desired Secret is rewritten for the
// planner: an unchanged key takes the stored (masked) value, so it shows
// no change; a changed or added one a placeholder that differs from it.
// Encrypted Secrets get the sealed annotation the controller stores with
// them. Warnings name keys the controller could not decrypt.
func comparedSecrets(ctx context.Context, c *apiclient.Client, want []reconcile.Desired, stored []objects.Object) ([]reconcile.Desired, []string, error) {
	live := map[objects.Key]*corev1.Secret{}
	for _, o := range stored {
		if s, ok := o.(*corev1.Secret); ok {
			live[objects.KeyOf(s)] = s
		}
	}
	var ask []*corev1.Secret
	var at []int
	for i, d := range want {
		if s, ok := d.Object.(*corev1.Secret); ok {
			ask = append(ask, s)
			at = append(at, i)
		}
	}
	cmp, err := c.DiffSecrets(ctx, ask)
	if err != nil {
		return nil, nil, fmt.Errorf("compare Secrets in the controller: %w", err)
	}
	if len(cmp) != len(ask) {
		return nil, nil, fmt.Errorf("compare Secrets in the controller: %d answers for %d Secrets", len(cmp), len(ask))
	}
	out := append([]reconcile.Desired(nil), want...)
	var warnings []string
	for j, i := range at {
		s := ask[j]
		for _, e := range cmp[j].Errors {
			warnings = append(warnings, fmt.Sprintf("%s: Secret %s/%s: %s", want[i].Path, s.Namespace, s.Name, e))
		}
		out[i].Object = secrets.ForLivePlan(s, live[objects.KeyOf(s)], cmp[j])
	}
	return out, warnings, nil
}
