package proxy

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// IPTables is what the proxy needs from the kernel's tables. Exec runs the
// real commands; Fake interprets the same text in memory for unit tests.
type IPTables interface {
	// Restore runs `iptables-restore --noflush` with text: all of it is
	// applied or none of it.
	Restore(ctx context.Context, text []byte) error
	// OwnedChains lists the chains of the nat and filter tables whose
	// names start with RECONCILE-.
	OwnedChains(ctx context.Context) ([]TableChain, error)
	// HasHook reports whether the hook rule is in its built-in chain
	// (as its first rule when h.First).
	HasHook(ctx context.Context, h Hook) (bool, error)
}

// Exec runs iptables-restore, iptables-save and iptables. Prefix is put
// before each command, e.g. ["nsenter", "--net=/run/netns/x"] to work in
// another network namespace.
type Exec struct {
	Prefix []string
	// Binaries; empty means iptables-restore, iptables-save, iptables.
	RestoreBin, SaveBin, Bin string
}

// Backends are the values NewExec takes: "" (the iptables tools as
// installed, whatever their backend), "nft" or "legacy".
var Backends = []string{"", "nft", "legacy"}

// NewExec returns the runner of an iptables backend (the agent's
// --iptables-backend): "" runs iptables-restore, iptables-save and
// iptables as installed; "nft" and "legacy" run iptables-nft-* or
// iptables-legacy-*. Every writer of the node's rules (the proxy, the pod
// network's masquerade chain) uses the same one: rules written by the two
// backends live in different kernel tables and do not see each other.
func NewExec(backend string, prefix ...string) (Exec, error) {
	switch backend {
	case "":
		return Exec{Prefix: prefix}, nil
	case "nft", "legacy":
		return Exec{Prefix: prefix, RestoreBin: "iptables-" + backend + "-restore", SaveBin: "iptables-" + backend + "-save", Bin: "iptables-" + backend}, nil
	}
	return Exec{}, fmt.Errorf(`iptables backend %q: use "", "nft" or "legacy"`, backend)
}

// Binaries returns the commands e runs: iptables-restore, iptables-save
// and iptables, or the backend's.
func (e Exec) Binaries() []string {
	return []string{cmp.Or(e.RestoreBin, "iptables-restore"), cmp.Or(e.SaveBin, "iptables-save"), cmp.Or(e.Bin, "iptables")}
}

func (e Exec) cmd(ctx context.Context, bin, def string, args ...string) *exec.Cmd {
	if bin == "" {
		bin = def
	}
	argv := append(append(append([]string{}, e.Prefix...), bin), args...)
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

// Restore runs iptables-restore --noflush.
func (e Exec) Restore(ctx context.Context, text []byte) error {
	if len(text) == 0 {
		return nil
	}
	c := e.cmd(ctx, e.RestoreBin, "iptables-restore", "--noflush")
	c.Stdin = bytes.NewReader(text)
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables-restore --noflush: %v: %s%s", err, strings.TrimSpace(string(out)), lineHint(text, out))
	}
	return nil
}

// lineHint quotes the input line iptables-restore complains about
// ("Error occurred at line: N"), so the message says what was refused.
func lineHint(text, out []byte) string {
	var n int
	i := bytes.Index(out, []byte("line: "))
	if i < 0 {
		return ""
	}
	if _, err := fmt.Sscanf(string(out[i+6:]), "%d", &n); err != nil || n < 1 {
		return ""
	}
	lines := strings.Split(string(text), "\n")
	if n > len(lines) {
		return ""
	}
	return fmt.Sprintf(" (line %d: %q)", n, lines[n-1])
}

// OwnedChains reads the chain declarations of iptables-save.
func (e Exec) OwnedChains(ctx context.Context) ([]TableChain, error) {
	var out []TableChain
	for _, table := range []string{TableFilter, TableNAT} {
		b, err := e.cmd(ctx, e.SaveBin, "iptables-save", "-t", table).Output()
		if err != nil {
			return nil, fmt.Errorf("iptables-save -t %s: %w", table, exitDetail(err))
		}
		out = append(out, ParseOwnedChains(table, b)...)
	}
	return out, nil
}

// ParseOwnedChains returns the owned chains declared in iptables-save
// output of one table.
func ParseOwnedChains(table string, save []byte) []TableChain {
	var out []TableChain
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ":"+chainPrefix) {
			name, _, _ := strings.Cut(line[1:], " ")
			out = append(out, TableChain{table, name})
		}
	}
	return out
}

// HasHook runs iptables -C, or iptables -S for a First hook.
func (e Exec) HasHook(ctx context.Context, h Hook) (bool, error) {
	if h.First {
		out, err := e.cmd(ctx, e.Bin, "iptables", "-w", "-t", h.Table, "-S", h.Chain).Output()
		if err != nil {
			return false, fmt.Errorf("iptables -t %s -S %s: %w", h.Table, h.Chain, exitDetail(err))
		}
		return FirstRule(h.Chain, out) == h.Rule, nil
	}
	args := append([]string{"-w", "-t", h.Table, "-C", h.Chain}, SplitRule(h.Rule)...)
	err := e.cmd(ctx, e.Bin, "iptables", args...).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, nil // "does a matching rule exist": no
	}
	// Exit code 2 is also what -C gives when the jump target does not
	// exist yet (the first sync); that means the hook is not there.
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		return false, nil
	}
	return false, fmt.Errorf("iptables -t %s -C %s: %w", h.Table, h.Chain, exitDetail(err))
}

// FirstRule is the first rule of chain in `iptables -S chain` output
// (the text after "-A CHAIN "), "" when the chain has none.
func FirstRule(chain string, listing []byte) string {
	for _, line := range strings.Split(string(listing), "\n") {
		if rule, ok := strings.CutPrefix(line, "-A "+chain+" "); ok {
			return rule
		}
	}
	return ""
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// SplitRule splits a rule into arguments as a shell would: on spaces,
// keeping double-quoted strings (comments) together.
func SplitRule(rule string) []string {
	var out []string
	var cur strings.Builder
	quoted, inArg := false, false
	for _, r := range rule {
		switch {
		case r == '"':
			quoted = !quoted
			inArg = true
		case r == ' ' && !quoted:
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}
