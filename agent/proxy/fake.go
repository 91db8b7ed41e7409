package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Fake is an in-memory iptables that interprets iptables-restore
// --noflush text the way the kernel tools do for the subset the proxy
// writes (declare/flush, -A, -D, -I, -X, one COMMIT per table), refusing
// what the real tool refuses (deleting an absent rule, deleting a chain
// still referenced or not empty, jumping to a chain that does not exist). A
// refused restore changes nothing. Safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	// Tables: table → chain → rules (each the text after "-A CHAIN ").
	Tables map[string]map[string][]string
	// Restores counts successful restores; Texts keeps their input.
	Restores int
	Texts    [][]byte
}

var builtin = map[string][]string{
	TableNAT:    {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	TableFilter: {"INPUT", "FORWARD", "OUTPUT"},
}

// NewFake returns tables holding only the built-in chains, plus the given
// foreign rules ("table chain rule"), which the proxy must keep.
func NewFake(foreign ...string) *Fake {
	f := &Fake{Tables: map[string]map[string][]string{}}
	for t, chains := range builtin {
		f.Tables[t] = map[string][]string{}
		for _, c := range chains {
			f.Tables[t][c] = nil
		}
	}
	for _, r := range foreign {
		parts := strings.SplitN(r, " ", 3)
		f.Tables[parts[0]][parts[1]] = append(f.Tables[parts[0]][parts[1]], parts[2])
	}
	return f
}

// Restore applies text atomically.
func (f *Fake) Restore(_ context.Context, text []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := map[string]map[string][]string{}
	for t, chains := range f.Tables {
		next[t] = map[string][]string{}
		for c, rules := range chains {
			next[t][c] = slices.Clone(rules)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	table := ""
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if err := applyLine(next, &table, line); err != nil {
			return fmt.Errorf("fake iptables-restore: line %d %q: %w", n, line, err)
		}
	}
	if table != "" {
		return fmt.Errorf("fake iptables-restore: table %s without COMMIT", table)
	}
	f.Tables = next
	f.Restores++
	f.Texts = append(f.Texts, slices.Clone(text))
	return nil
}

func applyLine(tables map[string]map[string][]string, table *string, line string) error {
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return nil
	case strings.HasPrefix(line, "*"):
		*table = line[1:]
		if tables[*table] == nil {
			return fmt.Errorf("unknown table")
		}
		return nil
	case line == "COMMIT":
		*table = ""
		return nil
	}
	if *table == "" {
		return fmt.Errorf("outside a table")
	}
	t := tables[*table]
	if strings.HasPrefix(line, ":") {
		name, _, _ := strings.Cut(line[1:], " ")
		t[name] = []string{} // declared: created or flushed
		return nil
	}
	op, rest, _ := strings.Cut(line, " ")
	chain, rule, _ := strings.Cut(rest, " ")
	rules, ok := t[chain]
	if !ok {
		return fmt.Errorf("no chain %s", chain)
	}
	if op == "-A" || op == "-I" {
		if j := jumpTarget(rule); j != "" && !targets[j] {
			if _, ok := t[j]; !ok {
				return fmt.Errorf("jump to undeclared chain %s", j)
			}
		}
	}
	switch op {
	case "-A":
		t[chain] = append(rules, rule)
	case "-I":
		pos, r, _ := strings.Cut(rule, " ")
		if pos != "1" {
			return fmt.Errorf("only -I CHAIN 1 is supported")
		}
		t[chain] = append([]string{r}, rules...)
	case "-D":
		i := slices.Index(rules, rule)
		if i < 0 {
			return fmt.Errorf("Bad rule (does a matching rule exist in that chain?)")
		}
		t[chain] = slices.Delete(rules, i, i+1)
	case "-X":
		if len(rules) > 0 {
			return fmt.Errorf("Directory not empty: chain %s has rules", chain)
		}
		for c, rs := range t {
			for _, r := range rs {
				if jumpTarget(r) == chain {
					return fmt.Errorf("Too many links: chain %s is referenced from %s", chain, c)
				}
			}
		}
		delete(t, chain)
	default:
		return fmt.Errorf("unknown command %s", op)
	}
	return nil
}

// targets are the iptables targets the rules of the proxy and the pod
// network use; any other -j names a chain, which must exist.
var targets = map[string]bool{"ACCEPT": true, "DROP": true, "RETURN": true, "REJECT": true,
	"DNAT": true, "SNAT": true, "MASQUERADE": true, "MARK": true}

func jumpTarget(rule string) string {
	i := strings.LastIndex(rule, "-j ")
	if i < 0 {
		return ""
	}
	target, _, _ := strings.Cut(rule[i+3:], " ")
	return target
}

// OwnedChains lists the fake's owned chains.
func (f *Fake) OwnedChains(context.Context) ([]TableChain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []TableChain
	for _, t := range []string{TableFilter, TableNAT} {
		for c := range f.Tables[t] {
			if Owned(c) {
				out = append(out, TableChain{t, c})
			}
		}
	}
	slices.SortFunc(out, func(a, b TableChain) int { return strings.Compare(a.Table+a.Chain, b.Table+b.Chain) })
	return out, nil
}

// HasHook reports whether the hook rule is in the fake (first in its
// chain when h.First).
func (f *Fake) HasHook(_ context.Context, h Hook) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules := f.Tables[h.Table][h.Chain]
	if h.First {
		return len(rules) > 0 && rules[0] == h.Rule, nil
	}
	return slices.Contains(rules, h.Rule), nil
}

// Save renders the fake's tables as iptables-save would (chains sorted,
// rules in order), for golden comparisons.
func (f *Fake) Save() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, t := range []string{TableFilter, TableNAT} {
		b.WriteString("*" + t + "\n")
		var names []string
		for c := range f.Tables[t] {
			names = append(names, c)
		}
		slices.Sort(names)
		for _, c := range names {
			b.WriteString(":" + c + "\n")
		}
		for _, c := range names {
			for _, r := range f.Tables[t][c] {
				b.WriteString("-A " + c + " " + r + "\n")
			}
		}
		b.WriteString("COMMIT\n")
	}
	return b.String()
}
