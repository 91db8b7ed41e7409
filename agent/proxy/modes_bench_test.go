package proxy

import (
	"os"
	"testing"
	"time"
)

// BenchmarkModes10k: the iptables and the nftables modes side by side in
// one run, on the real kernel (PROXY_BENCH_REAL=1), each in fresh network
// namespaces: "full" is the first sync of 10,000 services × 2 endpoints
// (list, render, apply), "add-one" one service with two endpoints added
// at that size (the whole sync: the time from the changed input to the
// rules in the kernel). Hairpin rules for every endpoint, as kube-proxy.
// CPU times (this process and the iptables-restore / nft it ran) vary
// much less than wall times on a loaded machine.
func BenchmarkModes10k(b *testing.B) {
	for _, mode := range []Mode{ModeIPTables, ModeNFTables} {
		b.Run(string(mode)+"/full", func(b *testing.B) { modeFullSync10k(b, mode) })
		b.Run(string(mode)+"/add-one", func(b *testing.B) { modeAddOne10k(b, mode) })
	}
}

// modeProxier is a Proxier of mode over src in a fresh namespace.
func modeProxier(b *testing.B, mode Mode, src Source) *Proxier {
	if os.Getenv("PROXY_BENCH_REAL") == "" {
		b.Skip("set PROXY_BENCH_REAL=1 to benchmark the real kernel (in a private network namespace; slow)")
	}
	if mode == ModeNFTables {
		nft, _ := nftIn(b)
		return &Proxier{Source: src, Mode: mode, NFTables: nft}
	}
	return &Proxier{Source: src, IPTables: realIptables(b)}
}

func modeFullSync10k(b *testing.B, mode Mode) {
	svcs, eps := world(10000)
	src := &memSource{svcs: svcs, eps: eps}
	var sync, apply, cpu, sys, kernel time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := modeProxier(b, mode, src)
		b.StartTimer()
		t, c, s := time.Now(), cpuTime(), sysTime()
		st, err := p.Sync(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		sync, cpu, sys = sync+time.Since(t), cpu+cpuTime()-c, sys+sysTime()-s
		apply += st.Restore
		kernel += netlinkKernel(p)
	}
	if mode == ModeNFTables {
		b.ReportMetric(float64(kernel.Milliseconds())/float64(b.N), "netlink-ms")
	}
	b.ReportMetric(float64(sync.Milliseconds())/float64(b.N), "sync-ms")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "sync-cpu-ms")
	b.ReportMetric(float64(sys.Milliseconds())/float64(b.N), "sys-ms")
	b.ReportMetric(float64(apply.Milliseconds())/float64(b.N), "kernel-ms")
}

func modeAddOne10k(b *testing.B, mode Mode) {
	svcs, eps := world(10000 + b.N)
	src := &memSource{svcs: svcs[:10000], eps: eps[:10000]}
	p := modeProxier(b, mode, src)
	if _, err := p.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	var sync, apply, kernel time.Duration
	c, sys := cpuTime(), sysTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src.svcs, src.eps = svcs[:10001+i], eps[:10001+i]
		t := time.Now()
		st, err := p.Sync(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		sync += time.Since(t)
		if st.Full || st.RestoreSize == 0 {
			b.Fatalf("sync %d: full=%v size=%d, want a partial sync", i, st.Full, st.RestoreSize)
		}
		apply += st.Restore
		kernel += netlinkKernel(p)
	}
	if mode == ModeNFTables {
		b.ReportMetric(float64(kernel.Microseconds())/1000/float64(b.N), "netlink-ms/op")
	}
	b.ReportMetric(float64(sync.Microseconds())/1000/float64(b.N), "sync-ms/op")
	b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64((sysTime()-sys).Microseconds())/1000/float64(b.N), "sys-ms/op")
	b.ReportMetric(float64(apply.Microseconds())/1000/float64(b.N), "kernel-ms/op")
}

// netlinkKernel is the kernel's part of p's last nftables write (sendmsg
// to acknowledgement), 0 in iptables mode.
func netlinkKernel(p *Proxier) time.Duration {
	if w, ok := p.NFTables.(*NFTNetlink); ok {
		return w.Last.Kernel
	}
	return 0
}
