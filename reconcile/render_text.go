package reconcile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// RenderText writes the plan as a unified-diff-like text: one block per
// object ("+ create", "~ update", "- delete") with its changed fields, then
// the errors, warnings and a summary line. color adds ANSI colours.
func RenderText(w io.Writer, plan Plan, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	for _, c := range plan.Changes {
		sign, col := actionSign(c.Action)
		head := fmt.Sprintf("%s %s %s", sign, c.Action, c.Key)
		if c.Path != "" {
			head += "  (" + c.Path + ")"
		}
		fmt.Fprintln(bw, paint(col+bold, head))
		for _, f := range c.FieldChanges() {
			switch {
			case f.Old == nil:
				fmt.Fprintln(bw, paint(green, "    + "+f.Path+": "+value(f.New)))
			case f.New == nil:
				fmt.Fprintln(bw, paint(red, "    - "+f.Path+": "+value(f.Old)))
			case f.New == MaskedChanged:
				fmt.Fprintln(bw, paint(yellow, "    ~ "+f.Path+": changed "+string(MaskedValue)))
			default:
				fmt.Fprintln(bw, paint(yellow, "    ~ "+f.Path+": "+value(f.Old)+" → "+value(f.New)))
			}
		}
		fmt.Fprintln(bw)
	}
	for _, a := range plan.Autoscaled {
		head := fmt.Sprintf("= autoscaled %s", a.Key)
		if a.Path != "" {
			head += "  (" + a.Path + ")"
		}
		fmt.Fprintln(bw, paint(bold, head))
		fmt.Fprintln(bw, "    = "+a.String())
		fmt.Fprintln(bw)
	}
	for _, e := range plan.Errors {
		fmt.Fprintln(bw, paint(red+bold, "Error: ")+e.Error())
	}
	for _, wn := range plan.Warnings {
		fmt.Fprintln(bw, paint(yellow, "Warning: ")+wn)
	}
	fmt.Fprintln(bw, summary(plan))
	return bw.Flush()
}

func actionSign(a Action) (string, string) {
	switch a {
	case Create:
		return "+", green
	case Delete:
		return "-", red
	}
	return "~", yellow
}

// summary is the one-line outcome, terraform style.
func summary(p Plan) string {
	c, u, d := p.Counts()
	if c+u+d == 0 {
		return fmt.Sprintf("No changes. %d object(s) up to date.", p.Unchanged)
	}
	return fmt.Sprintf("Plan: %d to create, %d to change, %d to delete.", c, u, d)
}

// value renders a field value: JSON for data, the mask as is.
func value(v any) string {
	if m, ok := v.(Masked); ok {
		return string(m)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
