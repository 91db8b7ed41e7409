package proxy

import (
	"slices"
	"strings"
)

// RestoreText is the input of `iptables-restore --noflush` that takes the
// kernel from prev (what the last successful sync wrote) to rs. With prev
// nil it is a full sync: every owned chain is declared (which flushes it)
// and written whole, and stale lists chains found in the kernel that rs no
// longer has (they are flushed and deleted). With prev, it is a partial
// sync: only per-service chains that changed are rewritten, the
// one-rule-per-service chains (RECONCILE-SERVICES, RECONCILE-NODEPORTS,
// the filter chains) get -D/-A for the rules that went or came, and chains
// that went are deleted — so adding one service to 10,000 writes a handful
// of rules. missingHooks are added with -I (they are checked outside the
// restore, once per full sync).
//
// Rules outside owned chains are never named, and --noflush keeps every
// other chain as it is.
func RestoreText(rs Ruleset, prev *Ruleset, stale []TableChain, missingHooks []Hook) []byte {
	var b strings.Builder
	for _, table := range []string{TableFilter, TableNAT} {
		writeTable(&b, table, rs, prev, stale, missingHooks)
	}
	return []byte(b.String())
}

// TableChain names a chain in a table.
type TableChain struct{ Table, Chain string }

func writeTable(b *strings.Builder, table string, rs Ruleset, prev *Ruleset, stale []TableChain, hooks []Hook) {
	var old map[string]Chain
	if prev != nil {
		old = prev.index(table)
	}
	var declare, rules []string
	var deletes []string
	have := map[string]bool{}
	for _, c := range rs.Chains {
		if c.Table != table {
			continue
		}
		have[c.Name] = true
		o, existed := old[c.Name]
		switch {
		case prev == nil || !existed:
			declare = append(declare, c.Name)
			rules = appendRules(rules, "-A", c.Name, c.Rules)
		case c.Unordered:
			gone, came := setDiff(o.Rules, c.Rules)
			rules = appendRules(rules, "-D", c.Name, gone)
			rules = appendRules(rules, "-A", c.Name, came)
		case !slices.Equal(o.Rules, c.Rules):
			declare = append(declare, c.Name)
			rules = appendRules(rules, "-A", c.Name, c.Rules)
		}
	}
	// Chains to delete: in prev (or found stale in the kernel) but not
	// wanted. They are flushed first (declared) and deleted last, after
	// the rules that jumped to them are gone.
	if prev != nil {
		for _, c := range prev.Chains {
			if c.Table == table && !have[c.Name] {
				declare = append(declare, c.Name)
				deletes = append(deletes, c.Name)
				have[c.Name] = true
			}
		}
	}
	for _, s := range stale {
		if s.Table == table && !have[s.Chain] && Owned(s.Chain) {
			declare = append(declare, s.Chain)
			deletes = append(deletes, s.Chain)
			have[s.Chain] = true
		}
	}
	var hookLines []string
	for _, h := range hooks {
		if h.Table == table {
			hookLines = append(hookLines, "-I "+h.Chain+" 1 "+h.Rule)
		}
	}
	if len(declare) == 0 && len(rules) == 0 && len(hookLines) == 0 {
		return
	}
	// Declared in name order: iptables-nft keeps its chain cache sorted
	// and inserts by scanning it, so sorted declarations are appends
	// (10,000 services restore in ~1.9 s of CPU instead of ~4.4 s).
	slices.Sort(declare)
	b.WriteString("*" + table + "\n")
	for _, c := range declare {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	for _, r := range rules {
		b.WriteString(r)
		b.WriteByte('\n')
	}
	for _, c := range deletes {
		b.WriteString("-X " + c + "\n")
	}
	for _, h := range hookLines {
		b.WriteString(h + "\n")
	}
	b.WriteString("COMMIT\n")
}

func appendRules(out []string, op, chain string, rules []string) []string {
	for _, r := range rules {
		out = append(out, op+" "+chain+" "+r)
	}
	return out
}

// setDiff returns the rules of a that are not in b, and of b not in a, in
// their order.
func setDiff(a, b []string) (gone, came []string) {
	inA := make(map[string]bool, len(a))
	for _, r := range a {
		inA[r] = true
	}
	inB := make(map[string]bool, len(b))
	for _, r := range b {
		inB[r] = true
		if !inA[r] {
			came = append(came, r)
		}
	}
	for _, r := range a {
		if !inB[r] {
			gone = append(gone, r)
		}
	}
	return gone, came
}

func (rs *Ruleset) index(table string) map[string]Chain {
	m := map[string]Chain{}
	for _, c := range rs.Chains {
		if c.Table == table {
			m[c.Name] = c
		}
	}
	return m
}

// CleanupText removes the hooks that are present (checked with iptables
// -C: deleting an absent rule would fail the whole restore), then flushes
// and deletes every owned chain in chains (found with iptables-save).
func CleanupText(chains []TableChain, presentHooks []Hook) []byte {
	var b strings.Builder
	for _, table := range []string{TableFilter, TableNAT} {
		var hooks []string
		for _, h := range presentHooks {
			if h.Table == table {
				hooks = append(hooks, "-D "+h.Chain+" "+h.Rule+"\n")
			}
		}
		var own []string
		for _, c := range chains {
			if c.Table == table && Owned(c.Chain) {
				own = append(own, c.Chain)
			}
		}
		if len(hooks) == 0 && len(own) == 0 {
			continue
		}
		b.WriteString("*" + table + "\n")
		for _, c := range own {
			b.WriteString(":" + c + " - [0:0]\n")
		}
		for _, h := range hooks {
			b.WriteString(h)
		}
		for _, c := range own {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return []byte(b.String())
}
