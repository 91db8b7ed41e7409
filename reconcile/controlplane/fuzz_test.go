package controlplane

import (
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

func TestCheckJoinRequest(t *testing.T) {
	for _, tc := range []struct {
		name, peer string
		ok         bool
	}{
		{"server-2", "https://10.0.0.2:7421", true},
		{"server-2", "https://[fd00::2]:7421", true},
		{"server-2", "http://10.0.0.2:7421", false},
		{"server-2", "https://10.0.0.2", false},
		{"server-2", "https://server-2:7421", false},
		{"server-2", "https://10.0.0.2:7421/x", false},
		{"server-2", "https://10.0.0.2:99999", false},
		{"Server_2", "https://10.0.0.2:7421", false},
		{"", "https://10.0.0.2:7421", false},
	} {
		err := CheckJoinRequest(apitypes.ServerJoinRequest{Name: tc.name, PeerURL: tc.peer})
		if (err == nil) != tc.ok || (err != nil && !apierrors.Is(err, apierrors.ReasonBadRequest)) {
			t.Errorf("%q %q: %v", tc.name, tc.peer, err)
		}
	}
}

// A join request is outside input: never a panic, and an accepted one
// joins into an initial-cluster string unambiguously (no "," or "=").
func FuzzCheckJoinRequest(f *testing.F) {
	f.Add("server-2", "https://10.0.0.2:7421")
	f.Add("a", "https://[::1]:1")
	f.Add("x,y=z", "https://1.2.3.4:5,a=https://6.7.8.9:10")
	f.Fuzz(func(t *testing.T, name, peer string) {
		if CheckJoinRequest(apitypes.ServerJoinRequest{Name: name, PeerURL: peer}) == nil && strings.ContainsAny(name+peer, ",= ") {
			t.Fatalf("accepted %q %q", name, peer)
		}
	})
}
