package main

import (
	"github.com/spf13/pflag"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
)

// addressPoolFlag is --lb-address-pool, parsed when the flag is read so a
// bad pool stops the controller before it starts.
type addressPoolFlag struct {
	text string
	pool controllers.AddressPool
}

func (f *addressPoolFlag) register(fl *pflag.FlagSet) {
	fl.Var(f, "lb-address-pool", "addresses for Services of type LoadBalancer, one per Service, kept while it exists: an IPv4 CIDR (192.0.2.0/28) or a range (192.0.2.10-192.0.2.20); route them to the nodes. Default: LoadBalancer Services answer on every Ready, uncordoned node's address (only nodes labelled "+controllers.LabelLoadBalancerNode+"=true when any is), as k3s' ServiceLB")
}

func (f *addressPoolFlag) String() string { return f.text }
func (f *addressPoolFlag) Type() string   { return "CIDR|first-last" }
func (f *addressPoolFlag) Set(s string) error {
	p, err := controllers.ParseAddressPool(s)
	if err != nil {
		return err
	}
	f.text, f.pool = s, p
	return nil
}
