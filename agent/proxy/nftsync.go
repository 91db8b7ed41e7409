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
	ModeNFTables Mode = "nftables" // table ip reconcile, knftables (the nft binary)
)

// NewNFTables is the real nftables interface to table ip reconcile (it
// needs the nft binary and root).
func NewNFTables() (knftables.Interface, error) {
	return knftables.New(knftables.IPv4Family, NFTTable)
}

func nftTable() *knftables.Table {
	c := "rules for reconcile's service proxy (reconcile agent --cleanup removes them)"
	return &knftables.Table{Comment: &c}
}

// NFTTransaction fills tx with the operations that bring table ip
// reconcile from prev to next. Without prev (the first sync, or after a
// failed one) the table is deleted and written whole, in the same
// transaction, so the kernel switches at once and nothing stale survives.
// With prev it sends only what changed: new chains, the rules of changed
// chains (flushed and written again), the map elements added, removed or
// changed, then the deletion of chains and sets no longer wanted. A
// change of one service's endpoints touches its chains and its elements.
func NFTTransaction(tx *knftables.Transaction, next NFTRuleset, prev *NFTRuleset) {
	if prev == nil {
		tx.Add(nftTable())
		tx.Delete(&knftables.Table{})
		tx.Add(nftTable())
		for _, c := range next.Chains {
			tx.Add(nftChain(c))
		}
		for _, m := range nftMaps {
			tx.Add(&knftables.Map{Name: m.Name, Type: m.Type})
		}
		tx.Add(&knftables.Set{Name: nftHairpin, Type: "ipv4_addr . ipv4_addr"})
		for _, s := range next.Sets {
			tx.Add(nftSet(s))
		}
		for _, c := range next.Chains {
			for _, r := range c.Rules {
				tx.Add(&knftables.Rule{Chain: c.Name, Rule: r})
			}
		}
		for _, e := range next.Elements {
			tx.Add(nftElement(e))
		}
		return
	}
	if prev.parts != nil && next.parts != nil {
		p, n := changedParts(*prev, next)
		prev, next = &p, n
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
			tx.Add(nftSet(s)) // a changed timeout: add updates the set
		}
	}
	for _, c := range next.Chains {
		if _, ok := old[c.Name]; !ok {
			tx.Add(nftChain(c))
		}
	}
	for _, c := range next.Chains {
		rules, ok := old[c.Name]
		if ok && slices.Equal(rules, c.Rules) {
			continue
		}
		if ok {
			tx.Flush(&knftables.Chain{Name: c.Name})
		}
		for _, r := range c.Rules {
			tx.Add(&knftables.Rule{Chain: c.Name, Rule: r})
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
			tx.Delete(nftElement(NFTElement{Map: o.Map, Key: o.Key}))
			adds = append(adds, e)
		}
	}
	for _, e := range prev.Elements {
		if _, gone := oldEl[e.ident()]; gone {
			tx.Delete(nftElement(NFTElement{Map: e.Map, Key: e.Key}))
		}
	}
	for _, e := range adds {
		tx.Add(nftElement(e))
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
			tx.Flush(&knftables.Chain{Name: c.Name})
		}
	}
	for _, name := range stale {
		tx.Delete(&knftables.Chain{Name: name})
	}
	wantedSets := make(map[string]bool, len(next.Sets))
	for _, s := range next.Sets {
		wantedSets[s.Name] = true
	}
	for _, s := range prev.Sets {
		if !wantedSets[s.Name] {
			tx.Delete(&knftables.Set{Name: s.Name})
		}
	}
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
func CleanupNFT(ctx context.Context, nft knftables.Interface) error {
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{}) // so the delete cannot fail on a missing table
	tx.Delete(&knftables.Table{})
	return nft.Run(ctx, tx)
}

// ruleCount is the number of rules in rs's chains.
func (rs NFTRuleset) ruleCount() int {
	n := 0
	for _, c := range rs.Chains {
		n += len(c.Rules)
	}
	return n
}

// changedParts narrows two renders to what differs: the fixed chains, the
// parts of services added, removed or changed (not the same fragment),
// and the hairpin elements that came or went. Both part lists are in the
// services' order, so one merge walk finds them.
func changedParts(prev, next NFTRuleset) (NFTRuleset, NFTRuleset) {
	p := NFTRuleset{Chains: slices.Clone(prev.Chains[:prev.fixed])}
	n := NFTRuleset{Chains: slices.Clone(next.Chains[:next.fixed])}
	// Hairpin elements are shared by the services of an endpoint: only
	// those of the changed parts may have come or gone.
	var hairpins []string
	add := func(rs *NFTRuleset, f *nftFragment) {
		rs.Chains = append(rs.Chains, f.chains...)
		rs.Sets = append(rs.Sets, f.sets...)
		for _, e := range f.elements {
			if e.Map != nftHairpin {
				rs.Elements = append(rs.Elements, e)
			} else {
				hairpins = append(hairpins, e.id)
			}
		}
	}
	i, j := 0, 0
	for i < len(prev.parts) || j < len(next.parts) {
		c := 0
		switch {
		case i == len(prev.parts):
			c = 1
		case j == len(next.parts):
			c = -1
		default:
			a, b := prev.parts[i].id, next.parts[j].id
			if c = strings.Compare(a.namespace, b.namespace); c == 0 {
				c = strings.Compare(a.name, b.name)
			}
		}
		switch {
		case c < 0:
			add(&p, prev.parts[i].frag)
			i++
		case c > 0:
			add(&n, next.parts[j].frag)
			j++
		default:
			if prev.parts[i].frag != next.parts[j].frag {
				add(&p, prev.parts[i].frag)
				add(&n, next.parts[j].frag)
			}
			i++
			j++
		}
	}
	slices.Sort(hairpins)
	for _, id := range slices.Compact(hairpins) {
		was, wasOK := prev.hairpin[id]
		is, isOK := next.hairpin[id]
		if wasOK && !isOK {
			p.Elements = append(p.Elements, was)
		} else if isOK && !wasOK {
			n.Elements = append(n.Elements, is)
		}
	}
	return p, n
}
