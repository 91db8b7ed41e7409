package proxy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/knftables"
)

// nftSteps are the changes both the fake and the real kernel go through.
func nftSteps(src *memSource) []struct {
	name string
	do   func()
} {
	web := service("web", "10.96.0.10", corev1.ServiceTypeNodePort, port("", corev1.ProtocolTCP, 80, 30080))
	db := service("db", "10.96.0.11", corev1.ServiceTypeClusterIP, port("pg", corev1.ProtocolTCP, 5432, 0), port("metrics", corev1.ProtocolUDP, 9000, 0))
	lb := loadBalancer("lb", "10.96.0.12", []string{"192.0.2.10"}, port("", corev1.ProtocolTCP, 443, 30443))
	lb.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"}
	lb.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	return []struct {
		name string
		do   func()
	}{
		{"empty", func() {}},
		{"web without endpoints", func() { src.svcs = []*corev1.Service{web} }},
		{"web gets two endpoints", func() {
			src.eps = []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.0.3"})}
		}},
		{"db added with endpoints", func() {
			src.svcs = append(src.svcs, db)
			src.eps = append(src.eps, endpoints("db", map[string]int32{"pg": 5432, "metrics": 9000}, []string{"10.88.0.7"}))
		}},
		{"web scaled to one", func() {
			src.eps[0] = endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.3"})
		}},
		{"a sticky load balancer with source ranges", func() {
			src.svcs = append(src.svcs, lb)
			src.eps = append(src.eps, endpoints("lb", map[string]int32{"": 8443}, []string{"10.88.0.9", "10.88.0.7"}))
		}},
		{"web deleted", func() { src.svcs, src.eps = src.svcs[1:], src.eps[1:] }},
		// 10.88.0.7 is an endpoint of lb too: its hairpin element stays.
		{"db loses its endpoints", func() { src.eps = src.eps[1:] }},
		{"db and lb lose their endpoints", func() { src.eps = nil }},
		{"all gone", func() { src.svcs = nil }},
	}
}

// TestNFTPartialSyncsEqualFullSync: after every change, the table that
// incremental transactions made equals the one a full sync makes; a
// change of one service's endpoints touches only that service (and the
// hairpin elements of its endpoints).
func TestNFTPartialSyncsEqualFullSync(t *testing.T) {
	src := &memSource{}
	opts := Options{ServiceCIDR: "10.96.0.0/16", ClusterCIDR: "10.88.0.0/16"}
	fake := knftables.NewFake(knftables.IPv4Family, NFTTable)
	p := &Proxier{Source: src, Mode: ModeNFTables, NFTables: NFTKnftables{fake}, Options: opts}
	for i, s := range nftSteps(src) {
		s.do()
		before := fake.Dump()
		st, err := p.Sync(t.Context())
		if err != nil {
			t.Fatalf("step %q: %v\nbefore:\n%s", s.name, err, before)
		}
		if st.Full != (i == 0) {
			t.Fatalf("step %q: full=%v", s.name, st.Full)
		}
		want := knftables.NewFake(knftables.IPv4Family, NFTTable)
		tx := want.NewTransaction()
		NFTTransaction(tx, RenderNFT(src.svcs, src.eps, opts), nil)
		if err := want.Run(t.Context(), tx); err != nil {
			t.Fatal(err)
		}
		// (The fake dumps elements in the order they were added.)
		if got, want := sortedLines(fake.Dump()), sortedLines(want.Dump()); got != want {
			t.Fatalf("step %q: incremental state differs from a full sync:\n%s\n--- want\n%s", s.name, got, want)
		}
	}
	if st, _ := p.Sync(t.Context()); st.RestoreSize != 0 {
		t.Fatalf("a sync with nothing changed sent %d operations", st.RestoreSize)
	}

	// One service's endpoints change: the transaction names that
	// service only.
	svcs, eps := world(50)
	src.svcs, src.eps = svcs, eps
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	prev := *p.nftPrev
	eps[7] = endpoints("svc-00007", map[string]int32{"http": 8080}, []string{"10.244.9.9"})
	next := RenderNFT(svcs, eps, opts)
	tx := fake.NewTransaction()
	NFTTransaction(tx, next, &prev)
	for _, line := range strings.Split(strings.TrimSpace(tx.String()), "\n") {
		// Its map elements (it has no chain: its endpoints are
		// elements of service-endpoints), the chain balancing over
		// one endpoint (no service had one before), and the hairpin
		// elements of its old and new endpoints.
		if !strings.Contains(line, "{ 10.96.0.8 . tcp . 80") && !strings.Contains(line, "balance-1") && !strings.Contains(line, "hairpin-endpoints { 10.244.0.15 ") &&
			!strings.Contains(line, "hairpin-endpoints { 10.244.0.16 ") && !strings.Contains(line, "hairpin-endpoints { 10.244.9.9 ") {
			t.Errorf("an operation for another part of the table: %s", line)
		}
	}
	if err := fake.Run(t.Context(), tx); err != nil {
		t.Fatal(err)
	}

	// Cleanup removes the table and only it.
	if err := CleanupNFT(t.Context(), NFTKnftables{fake}); err != nil {
		t.Fatal(err)
	}
	if d := fake.Dump(); d != "" {
		t.Fatalf("after CleanupNFT:\n%s", d)
	}
}

// nftIn returns the netlink writer (NFTNetlink) working in a fresh
// network namespace, and an Exec running commands (nft) there. Needs
// root.
func nftIn(t testing.TB) (*NFTNetlink, Exec) {
	t.Helper()
	e := netns(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed (Debian package nftables; make setup installs it): the tests read the table with it")
	}
	path := strings.TrimPrefix(e.Prefix[len(e.Prefix)-1], "--net=")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &NFTNetlink{NetNS: int(f.Fd())}, e
}

// nftList is `nft list table ip reconcile` in e's namespace ("" when
// there is no such table).
func nftList(t testing.TB, e Exec) string {
	out, err := e.cmd(t.Context(), "nft", "nft", "list", "table", "ip", NFTTable).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No such file") {
			return ""
		}
		t.Fatalf("nft list table: %v %s", err, out)
	}
	return string(out)
}

// TestProxierOnRealNFTables: the kernel takes the full and the
// incremental transactions of every step; switching to the iptables mode
// removes the table, and switching back removes the RECONCILE-* chains;
// the foreign table is never touched.
func TestProxierOnRealNFTables(t *testing.T) {
	nft, e := nftIn(t)
	if out, err := e.cmd(t.Context(), "nft", "nft", "add", "table", "ip", "foreign").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	src := &memSource{}
	opts := Options{ServiceCIDR: "10.96.0.0/16", ClusterCIDR: "10.88.0.0/16"}
	p := &Proxier{Source: src, Mode: ModeNFTables, NFTables: nft, IPTables: e, Options: opts}
	for _, s := range nftSteps(src) {
		s.do()
		if _, err := p.Sync(t.Context()); err != nil {
			t.Fatalf("step %q: %v", s.name, err)
		}
		if s.name == "web scaled to one" {
			got := nftList(t, e)
			if !strings.Contains(got, "dnat to 10.88.0.3:8080") || strings.Contains(got, "10.88.0.2:8080") {
				t.Fatalf("step %q: the kernel holds:\n%s", s.name, got)
			}
		}
	}
	// Switch to iptables: the table goes.
	src.svcs, src.eps = world(3)
	ipt := &Proxier{Source: src, IPTables: e, NFTables: nft, Options: opts}
	if _, err := ipt.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := nftList(t, e); got != "" {
		t.Fatalf("the iptables mode left table ip reconcile:\n%s", got)
	}
	if !strings.Contains(ownedSave(t, e), "RECONCILE-SVC-") {
		t.Fatal("the iptables mode wrote no chains")
	}
	// And back: the chains go, the table comes.
	p = &Proxier{Source: src, Mode: ModeNFTables, NFTables: nft, IPTables: e, Options: opts}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := ownedSave(t, e); strings.Contains(s, "RECONCILE-") {
		t.Fatalf("the nftables mode left the iptables chains:\n%s", s)
	}
	if got := nftList(t, e); !strings.Contains(got, "10.96.0.3 . tcp . 80 . 1 : 10.244.0.6 . 8080") {
		t.Fatalf("the table lacks the services:\n%s", got)
	}
	if err := CleanupNFT(t.Context(), nft); err != nil {
		t.Fatal(err)
	}
	out, _ := e.cmd(t.Context(), "nft", "nft", "list", "tables").CombinedOutput()
	// (iptables-nft's own tables ip nat and ip filter stay too.)
	if !strings.Contains(string(out), "table ip foreign") || strings.Contains(string(out), NFTTable) {
		t.Fatalf("after cleanup, nft list tables:\n%s", out)
	}
}

// TestNFTGoldenOnRealKernel: the kernel takes every nftables golden
// transaction (twice: the second run replaces the first table).
func TestNFTGoldenOnRealKernel(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nft.golden")
	if len(files) == 0 {
		t.Fatal("no nftables golden files")
	}
	_, e := nftIn(t)
	for _, f := range files {
		for range 2 {
			if out, err := e.cmd(t.Context(), "nft", "nft", "-f", f).CombinedOutput(); err != nil {
				t.Fatalf("nft -f %s: %v\n%s", f, err, out)
			}
		}
	}
}

// TestNFTNetlinkListsAsNFT: for every golden case, the table the netlink
// writer makes lists (`nft list table`) exactly as the one `nft -f` makes
// from the golden text: the rule compiler (nftexpr.go) writes what nft
// writes.
func TestNFTNetlinkListsAsNFT(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nft.golden")
	if len(files) == 0 {
		t.Fatal("no nftables golden files")
	}
	link, le := nftIn(t)
	_, ne := nftIn(t)
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			rs := RenderNFT(tc.svcs, tc.eps, tc.opts)
			if _, err := link.Write(t.Context(), rs, nil); err != nil {
				t.Fatalf("netlink: %v", err)
			}
			f := filepath.Join("testdata", tc.name+".nft.golden")
			if out, err := ne.cmd(t.Context(), "nft", "nft", "-f", f).CombinedOutput(); err != nil {
				t.Fatalf("nft -f %s: %v\n%s", f, err, out)
			}
			got, want := normalizeNFTList(nftList(t, le)), normalizeNFTList(nftList(t, ne))
			if !strings.Contains(got, "chain services {\nip daddr . meta l4proto . th dport vmap @service-ips") {
				t.Fatalf("the netlink writer's table lacks the services chain:\n%s", got)
			}
			if testing.Verbose() {
				t.Logf("%s", got)
			}
			if got != want {
				t.Fatalf("the netlink writer's table lists differently from nft's:\n%s\n--- nft -f %s:\n%s", got, f, want)
			}
		})
	}
}

// normalizeNFTList makes two listings of the same table comparable: the
// chains, sets and maps in name order (the kernel lists them in the
// order they were made) and a set's elements sorted (hash order).
func normalizeNFTList(s string) string {
	var blocks []string
	var cur []string
	var elems []string
	inElems := false
	flush := func() {
		if len(cur) == 0 {
			return
		}
		slices.Sort(elems)
		blocks = append(blocks, strings.Join(cur, "\n")+"\n"+strings.Join(elems, "\n"))
		cur, elems = nil, nil
	}
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "table ") || l == "}" && !inElems:
			continue
		case strings.HasPrefix(l, "chain ") || strings.HasPrefix(l, "set ") || strings.HasPrefix(l, "map "):
			flush()
			cur = []string{l}
		case strings.HasPrefix(l, "elements = {"):
			inElems = true
			l = strings.TrimPrefix(l, "elements = {")
			fallthrough
		case inElems:
			if strings.HasSuffix(l, "}") {
				inElems = false
				l = strings.TrimSuffix(l, "}")
			}
			for _, e := range strings.Split(l, ",") {
				if e = strings.TrimSpace(e); e != "" {
					elems = append(elems, e)
				}
			}
		default:
			cur = append(cur, l)
		}
	}
	flush()
	slices.Sort(blocks)
	return strings.Join(blocks, "\n")
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestNFTRendererMemory: an NFTRenderer that remembers services by
// resourceVersion renders what RenderNFT renders, and the incremental
// transaction between its renders brings a table to the fresh render.
func TestNFTRendererMemory(t *testing.T) {
	svcs, eps := world(20)
	r := &NFTRenderer{}
	fake := knftables.NewFake(knftables.IPv4Family, NFTTable)
	var prev *NFTRuleset
	check := func(step string) {
		t.Helper()
		got := r.Render(svcs, eps)
		if step == "unchanged" { // every service remembered, none rendered again
			for i := range got.parts {
				if got.parts[i].frag != prev.parts[i].frag {
					t.Fatalf("%s: %v rendered again", step, got.parts[i].id)
				}
			}
		}
		if a, b := NFTText(got), NFTText(RenderNFT(svcs, eps, r.Options)); a != b {
			t.Fatalf("%s: the remembered rules differ from a fresh render:\n%s\n---\n%s", step, a, b)
		}
		tx := fake.NewTransaction()
		NFTTransaction(tx, got, prev)
		if err := fake.Run(t.Context(), tx); err != nil {
			t.Fatalf("%s: %v\n%s", step, err, tx)
		}
		want := knftables.NewFake(knftables.IPv4Family, NFTTable)
		wtx := want.NewTransaction()
		NFTTransaction(wtx, got, nil)
		if err := want.Run(t.Context(), wtx); err != nil {
			t.Fatal(err)
		}
		if sortedLines(fake.Dump()) != sortedLines(want.Dump()) {
			t.Fatalf("%s: the incremental table differs from a full one", step)
		}
		prev = &got
	}
	check("first")
	check("unchanged")
	eps[3] = endpoints("svc-00003", map[string]int32{"http": 8080}, []string{"10.244.0.1"}) // shared with svc-00000
	eps[3].UID, eps[3].ResourceVersion = "svc-00003-ep", "1000"
	check("endpoints changed")
	svcs[5] = svcs[5].DeepCopy()
	svcs[5].Spec.Type, svcs[5].Spec.Ports[0].NodePort, svcs[5].ResourceVersion = corev1.ServiceTypeNodePort, 30005, "1001"
	check("service changed")
	svcs, eps = svcs[1:], eps[1:]
	check("service deleted (its endpoint 10.244.0.1 still hairpins for svc-00003)")
	r.Options.NodePodCIDR = "10.244.0.0/30"
	check("options changed")
	r.Options.ServiceCIDR = "10.96.0.0/16"
	check("service CIDR set")
}

// TestNFTNetlinkPlusOneEqualsFull: on the real kernel, a service added to
// 200 (and then one service's endpoints changed) is sent as that
// service's elements only, and the table it leaves lists (`nft list
// table`) as the one a full sync of the same services makes in another
// namespace.
func TestNFTNetlinkPlusOneEqualsFull(t *testing.T) {
	w, e := nftIn(t)
	svcs, eps := world(201)
	opts := Options{ServiceCIDR: "10.96.0.0/16", ClusterCIDR: "10.244.0.0/16"}
	src := &memSource{svcs: svcs[:200], eps: eps[:200]}
	p := &Proxier{Source: src, Mode: ModeNFTables, NFTables: w, Options: opts}
	if st, err := p.Sync(t.Context()); err != nil || !st.Full {
		t.Fatalf("first sync: full=%v, %v", st.Full, err)
	}
	equalsFull := func(step string) {
		t.Helper()
		fw, fe := nftIn(t)
		fp := &Proxier{Source: src, Mode: ModeNFTables, NFTables: fw, Options: opts}
		if _, err := fp.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got, want := normalizeNFTList(nftList(t, e)), normalizeNFTList(nftList(t, fe)); got != want {
			t.Fatalf("%s: the table after incremental syncs differs from a full sync's:\n%s\n--- full:\n%s", step, got, want)
		}
	}
	// +1: its two service-endpoints elements, its service-ips element,
	// the hairpin elements of its two endpoints; no chain, no rule.
	src.svcs, src.eps = svcs, eps
	st, err := p.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Full || st.RestoreSize != 5 {
		t.Errorf("+1: full=%v, %d operations, want 5", st.Full, st.RestoreSize)
	}
	equalsFull("+1")
	// One service down to one endpoint (the first stays at index 0):
	// its service-ips element is replaced (goto balance-1), its second
	// endpoint's element and hairpin element go, and balance-1 (no
	// service had one endpoint) is made: the chain and its two rules.
	eps[7] = endpoints("svc-00007", map[string]int32{"http": 8080}, []string{"10.244.0.15"})
	eps[7].UID, eps[7].ResourceVersion = "svc-00007-ep", "9999"
	if st, err = p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st.Full || st.RestoreSize != 7 {
		t.Errorf("scale to one: full=%v, %d operations, want 7", st.Full, st.RestoreSize)
	}
	equalsFull("scaled to one")
}

// TestNFTNetlinkRefusedBatch: a batch the kernel refuses (here, deleting
// a chain it does not have) is an error and changes nothing of the
// table: the kernel applies a batch whole or not at all.
func TestNFTNetlinkRefusedBatch(t *testing.T) {
	w, e := nftIn(t)
	svcs, eps := world(3)
	rs := RenderNFT(svcs, eps, Options{})
	if _, err := w.Write(t.Context(), rs, nil); err != nil {
		t.Fatal(err)
	}
	before := nftList(t, e)
	ghost := rs.all()
	ghost.Chains = append(ghost.Chains, NFTChain{Name: "ghost", Rules: []string{"return"}})
	next := RenderNFT(svcs[:2], eps[:2], Options{}).all() // a service goes, and the ghost chain
	_, err := w.Write(t.Context(), next, &ghost)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("deleting a chain the kernel lacks: err = %v, want the kernel's refusal", err)
	}
	if after := nftList(t, e); after != before {
		t.Fatalf("a refused batch changed the table:\n%s\n--- before:\n%s", after, before)
	}
}
