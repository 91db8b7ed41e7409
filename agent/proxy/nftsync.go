package proxy

import (
	"context"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/knftables"
)

// Mode is how the proxy writes its rules.
type Mode string

const (
	ModeIPTables Mode = "iptables" // the default: RECONCILE-* chains, iptables-restore
	ModeNFTables Mode = "nftables" // table ip reconcile, written over netlink
)

func nftTable() *knftables.Table {
	c := "rules for reconcile's service proxy (reconcile agent --cleanup removes them)"
	return &knftables.Table{Comment: &c}
}

// NFTTransaction fills tx with the operations that bring table ip
// reconcile from prev to next (nftDiff), as knftables writes them: the
// golden files' text (NFTText) and knftables' fake in tests.
func NFTTransaction(tx *knftables.Transaction, next NFTRuleset, prev *NFTRuleset) {
	nftDiff(knftOps{tx}, next, prev)
}

// nftOps are the operations a sync sends, in the order nftDiff calls
// them; knftOps writes them into a knftables transaction, nftBatch
// (nftlink.go) into one netlink batch.
type nftOps interface {
	resetTable()                // add (so the delete cannot fail), delete, add again
	addChain(c NFTChain)        // without its rules
	flushChain(name string)     // remove its rules
	deleteChain(name string)    // an empty chain no rule or element refers to
	addFixedSets()              // the verdict maps and the hairpin set
	addSet(s NFTSet)            // an affinity set (add updates a changed timeout)
	deleteSet(name string)      // an affinity set
	addRule(chain, rule string) // appended
	addElement(e NFTElement)
	deleteElement(e NFTElement)
}

// nftDiff calls ops with what brings table ip reconcile from prev to
// next. Without prev (the first sync, or after a failed one) the table
// is deleted and written whole, in the same transaction, so the kernel
// switches at once and nothing stale survives. With prev it sends only
// what changed: new chains, the rules of changed chains (flushed and
// written again), the map elements added, removed or changed, then the
// deletion of chains and sets no longer wanted. A change of one
// service's endpoints touches its chains and its elements.
func nftDiff(ops nftOps, next NFTRuleset, prev *NFTRuleset) {
	if prev == nil {
		next = next.all()
		ops.resetTable()
		for _, c := range next.Chains {
			ops.addChain(c)
		}
		ops.addFixedSets()
		for _, s := range next.Sets {
			ops.addSet(s)
		}
		for _, c := range next.Chains {
			for _, r := range c.Rules {
				ops.addRule(c.Name, r)
			}
		}
		for _, e := range next.Elements {
			ops.addElement(e)
		}
		return
	}
	if prev.parts != nil && next.parts != nil {
		p, n := changedParts(*prev, next)
		prev, next = &p, n
	} else {
		p := prev.all()
		prev, next = &p, next.all()
	}
	old := make(map[string][]string, len(prev.Chains))
	for _, c := range prev.Chains {
		old[c.Name] = c.Rules
	}
	oldSets := make(map[string]NFTSet, len(prev.Sets))
	for _, s := range prev.Sets {
		oldSets[s.Name] = s
	}
	for _, s := range next.Sets {
		if o, ok := oldSets[s.Name]; !ok || o != s {
			ops.addSet(s)
		}
	}
	for _, c := range next.Chains {
		if _, ok := old[c.Name]; !ok {
			ops.addChain(c)
		}
	}
	for _, c := range next.Chains {
		rules, ok := old[c.Name]
		if ok && slices.Equal(rules, c.Rules) {
			continue
		}
		if ok {
			ops.flushChain(c.Name)
		}
		for _, r := range c.Rules {
			ops.addRule(c.Name, r)
		}
	}
	// Elements: removed ones and those whose verdict changed are
	// deleted, then new and changed ones added.
	oldEl := make(map[string]*NFTElement, len(prev.Elements))
	for i := range prev.Elements {
		oldEl[prev.Elements[i].ident()] = &prev.Elements[i]
	}
	var adds []NFTElement
	for _, e := range next.Elements {
		id := e.ident()
		o, ok := oldEl[id]
		if !ok {
			adds = append(adds, e)
			continue
		}
		delete(oldEl, id)
		if o.Value != e.Value {
			ops.deleteElement(*o)
			adds = append(adds, e)
		}
	}
	for _, e := range prev.Elements {
		if _, gone := oldEl[e.ident()]; gone {
			ops.deleteElement(e)
		}
	}
	for _, e := range adds {
		ops.addElement(e)
	}
	wanted := make(map[string]bool, len(next.Chains))
	for _, c := range next.Chains {
		wanted[c.Name] = true
	}
	// Stale chains are flushed first: the kernel refuses to delete a
	// chain that a rule still jumps to, even one deleted later in the
	// same transaction.
	var stale []string
	for _, c := range prev.Chains {
		if !wanted[c.Name] {
			stale = append(stale, c.Name)
			ops.flushChain(c.Name)
		}
	}
	for _, name := range stale {
		ops.deleteChain(name)
	}
	wantedSets := make(map[string]bool, len(next.Sets))
	for _, s := range next.Sets {
		wantedSets[s.Name] = true
	}
	for _, s := range prev.Sets {
		if !wantedSets[s.Name] {
			ops.deleteSet(s.Name)
		}
	}
}

// knftOps writes the operations into a knftables transaction.
type knftOps struct{ tx *knftables.Transaction }

func (o knftOps) resetTable() {
	o.tx.Add(nftTable())
	o.tx.Delete(&knftables.Table{})
	o.tx.Add(nftTable())
}
func (o knftOps) addChain(c NFTChain)     { o.tx.Add(nftChain(c)) }
func (o knftOps) flushChain(name string)  { o.tx.Flush(&knftables.Chain{Name: name}) }
func (o knftOps) deleteChain(name string) { o.tx.Delete(&knftables.Chain{Name: name}) }
func (o knftOps) addFixedSets() {
	for _, m := range nftMaps {
		o.tx.Add(&knftables.Map{Name: m.Name, Type: m.Type, TypeOf: m.TypeOf})
	}
	o.tx.Add(&knftables.Set{Name: nftHairpin, Type: "ipv4_addr . ipv4_addr"})
}
func (o knftOps) addSet(s NFTSet)            { o.tx.Add(nftSet(s)) }
func (o knftOps) deleteSet(name string)      { o.tx.Delete(&knftables.Set{Name: name}) }
func (o knftOps) addRule(chain, rule string) { o.tx.Add(&knftables.Rule{Chain: chain, Rule: rule}) }
func (o knftOps) addElement(e NFTElement)    { o.tx.Add(nftElement(e)) }
func (o knftOps) deleteElement(e NFTElement) {
	o.tx.Delete(nftElement(NFTElement{Map: e.Map, Key: e.Key}))
}

func nftChain(c NFTChain) *knftables.Chain {
	kc := &knftables.Chain{Name: c.Name}
	if c.Base != nil {
		t, h, p := knftables.BaseChainType(c.Base.Type), knftables.BaseChainHook(c.Base.Hook), knftables.BaseChainPriority(c.Base.Priority)
		kc.Type, kc.Hook, kc.Priority = &t, &h, &p
	}
	return kc
}

func nftSet(s NFTSet) *knftables.Set {
	t := time.Duration(s.Timeout) * time.Second
	return &knftables.Set{Name: s.Name, Type: "ipv4_addr", Flags: []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag}, Timeout: &t}
}

func nftElement(e NFTElement) *knftables.Element {
	if e.Map == nftHairpin {
		return &knftables.Element{Set: e.Map, Key: e.Key}
	}
	el := &knftables.Element{Map: e.Map, Key: e.Key}
	if e.Value != "" {
		el.Value = []string{e.Value}
	}
	return el
}

// NFTText is the full-sync transaction of rs as nft reads it (golden
// files, debugging).
func NFTText(rs NFTRuleset) string {
	tx := knftables.NewFake(knftables.IPv4Family, NFTTable).NewTransaction()
	NFTTransaction(tx, rs, nil)
	return tx.String()
}

// CleanupNFT removes table ip reconcile, if there is one (`reconcile agent
// --cleanup`, and the first sync in iptables mode). Other tables are
// never touched.
func CleanupNFT(ctx context.Context, nft NFTWriter) error {
	return nft.Delete(ctx)
}

// chainCount is the number of rs's chains.
func (rs NFTRuleset) chainCount() int {
	if rs.parts != nil {
		return rs.chains
	}
	return len(rs.Chains)
}

// ruleCount is the number of rules in rs's chains.
func (rs NFTRuleset) ruleCount() int {
	if rs.parts != nil {
		return rs.rules
	}
	n := 0
	for _, c := range rs.Chains {
		n += len(c.Rules)
	}
	return n
}

// changedParts narrows two renders to what differs: the fixed chains, the
// parts of services added, removed or changed (not the same fragment),
// and the hairpin elements that came or went: those next's renderer
// counted, when next is the render right after prev, or else found by
// looking at every part of both.
func changedParts(prev, next NFTRuleset) (NFTRuleset, NFTRuleset) {
	p := NFTRuleset{Chains: slices.Clone(prev.Chains[:prev.fixed])}
	n := NFTRuleset{Chains: slices.Clone(next.Chains[:next.fixed])}
	var hairpins []NFTElement
	add := func(rs *NFTRuleset, f *nftFragment) {
		rs.Chains = append(rs.Chains, f.chains...)
		rs.Sets = append(rs.Sets, f.sets...)
		for _, e := range f.elements {
			if e.Map != nftHairpin {
				rs.Elements = append(rs.Elements, e)
			} else {
				hairpins = append(hairpins, e)
			}
		}
	}
	mergeParts(prev.parts, next.parts, func(old, cur *nftFragment) {
		if old != nil {
			add(&p, old)
		}
		if cur != nil {
			add(&n, cur)
		}
	})
	if next.renderer != nil && next.renderer == prev.renderer && next.after == prev.gen {
		p.Elements = append(p.Elements, next.hairpinRemoved...)
		n.Elements = append(n.Elements, next.hairpinAdded...)
		return p, n
	}
	// Hairpin elements are shared by the services of an endpoint: only
	// those of the changed parts may have come or gone.
	if len(hairpins) == 0 {
		return p, n
	}
	was, is := hairpinIDs(prev), hairpinIDs(next)
	slices.SortFunc(hairpins, func(a, b NFTElement) int { return strings.Compare(a.id, b.id) })
	hairpins = slices.CompactFunc(hairpins, func(a, b NFTElement) bool { return a.id == b.id })
	for _, e := range hairpins {
		if was[e.id] && !is[e.id] {
			p.Elements = append(p.Elements, e)
		} else if is[e.id] && !was[e.id] {
			n.Elements = append(n.Elements, e)
		}
	}
	return p, n
}

// hairpinIDs are the hairpin elements of every part of rs.
func hairpinIDs(rs NFTRuleset) map[string]bool {
	ids := map[string]bool{}
	for _, p := range rs.parts {
		for _, e := range p.frag.elements {
			if e.Map == nftHairpin {
				ids[e.id] = true
			}
		}
	}
	return ids
}
