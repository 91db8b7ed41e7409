package agent

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestParseReservedAndAllocatable(t *testing.T) {
	tests := []struct{ in, cpu, mem, err string }{
		{"", "2", "4Gi", ""},
		{"cpu=500m", "1500m", "4Gi", ""},
		{"cpu=1500m, memory=1Gi", "500m", "3Gi", ""},
		{"cpu=3", "0", "4Gi", ""},
		{"cpu", "", "", `--system-reserved: "cpu" is not name=quantity (e.g. cpu=500m,memory=1Gi)`},
		{"gpu=1", "", "", `--system-reserved: unknown resource "gpu": only cpu and memory may be reserved`},
		{"cpu=lots", "", "", `--system-reserved: cpu="lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (e.g. cpu=500m, memory=1Gi)`},
		{"cpu=1,cpu=2", "", "", "--system-reserved: cpu given twice"},
	}
	for _, tc := range tests {
		r, err := ParseReserved(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: err %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		n := NodeObject("n", HostInfo{CPUs: 2, MemoryBytes: 4 << 30, SystemReserved: r}, "v", time.Now())
		cpu, mem := n.Status.Allocatable[corev1.ResourceCPU], n.Status.Allocatable[corev1.ResourceMemory]
		if cpu.String() != tc.cpu || mem.String() != tc.mem {
			t.Errorf("%q: allocatable cpu %s memory %s, want %s %s", tc.in, cpu.String(), mem.String(), tc.cpu, tc.mem)
		}
		if c := n.Status.Capacity[corev1.ResourceCPU]; c.String() != "2" {
			t.Errorf("%q: capacity changed: %s", tc.in, c.String())
		}
	}
}

func FuzzParseReserved(f *testing.F) {
	for _, s := range []string{"", "cpu=500m,memory=1Gi", "cpu", "gpu=1", "cpu=-1", "memory=1e3,cpu=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReserved(s)
		if err != nil {
			return
		}
		for name, q := range r {
			if q.Sign() < 0 || (name != corev1.ResourceCPU && name != corev1.ResourceMemory) {
				t.Fatalf("%q gave %s=%s", s, name, q.String())
			}
		}
	})
}
