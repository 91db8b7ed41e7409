package controlplane

import (
	"net"
	"strings"
	"testing"
)

func TestDefaultAdvertise(t *testing.T) {
	if got := DefaultAdvertise("10.1.2.3:7420"); got != "10.1.2.3" {
		t.Errorf("a specific listen address: %s", got)
	}
	if got := DefaultAdvertise("0.0.0.0:7420"); net.ParseIP(got) == nil || (net.ParseIP(got).IsLoopback() && hasOtherAddress()) {
		t.Errorf("all addresses: %s", got)
	}
}

func hasOtherAddress() bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

func TestFlagsExcludeEachOther(t *testing.T) {
	for _, o := range []Options{
		{Data: t.TempDir(), Name: "a", ClusterInit: true, Join: "https://x:7420", Token: "t"},
		{Data: t.TempDir(), Name: "a", ClusterInit: true, ClusterReset: true},
	} {
		if err := o.defaults(); err == nil || !strings.Contains(err.Error(), "exclude each other") {
			t.Errorf("%+v: %v", o, err)
		}
	}
	o := Options{Data: t.TempDir(), Name: "a", Join: "https://x:7420"}
	if err := o.defaults(); err == nil || !strings.Contains(err.Error(), "token create --control-plane") {
		t.Errorf("--join without --token: %v", err)
	}
}
