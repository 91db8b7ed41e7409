package hollow

import (
	"fmt"
	"math"
	"net/netip"
	"testing"
)

func TestFateOfKeepsFractions(t *testing.T) {
	b := Behaviour{FailFraction: 0.1, CrashFraction: 0.2, SlowFraction: 0.3}
	const n = 20000
	count := map[Fate]int{}
	for i := range n {
		uid := fmt.Sprintf("uid-%d", i)
		f := FateOf(uid, b)
		if FateOf(uid, b) != f {
			t.Fatalf("FateOf(%s) is not stable", uid)
		}
		count[f]++
	}
	want := map[Fate]float64{FateFail: 0.1, FateCrash: 0.2, FateSlow: 0.3, FateRun: 0.4}
	for f, frac := range want {
		if got := float64(count[f]) / n; math.Abs(got-frac) > 0.02 {
			t.Errorf("fate %s: %.3f of pods, want %.2f", f, got, frac)
		}
	}
	if got := FateOf("x", Behaviour{}); got != FateRun {
		t.Errorf("no behaviour: fate %s, want run", got)
	}
}

func TestFreeAddr(t *testing.T) {
	p := netip.MustParsePrefix("10.244.3.0/30")
	used := map[netip.Addr]bool{}
	tests := []struct {
		name    string
		cidr    netip.Prefix
		used    []string
		want    string
		wantErr bool
	}{
		{name: "first after the gateway", cidr: netip.MustParsePrefix("10.244.3.0/24"), want: "10.244.3.2"},
		{name: "skips used", cidr: netip.MustParsePrefix("10.244.3.0/24"), used: []string{"10.244.3.2", "10.244.3.3"}, want: "10.244.3.4"},
		{name: "unmasked prefix", cidr: netip.MustParsePrefix("10.244.3.7/24"), want: "10.244.3.2"},
		{name: "/30 has one pod address", cidr: p, want: "10.244.3.2"},
		{name: "/30 full, never the broadcast", cidr: p, used: []string{"10.244.3.2"}, wantErr: true},
		{name: "/31 too small", cidr: netip.MustParsePrefix("10.244.3.0/31"), wantErr: true},
		{name: "IPv6 refused", cidr: netip.MustParsePrefix("fd00::/64"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clear(used)
			for _, u := range tt.used {
				used[netip.MustParseAddr(u)] = true
			}
			got, err := freeAddr(tt.cidr, used)
			if (err != nil) != tt.wantErr {
				t.Fatalf("freeAddr(%s) = %v, %v; want error %v", tt.cidr, got, err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("freeAddr(%s) = %s, want %s", tt.cidr, got, tt.want)
			}
		})
	}
}
