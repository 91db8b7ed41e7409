package main

import (
	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/ingress"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// The API client implements the agent's interfaces without importing the
// agent (so control-plane clients do not compile the Podman bindings); the
// binary, which wires the two, checks it here at compile time.
var (
	_ agent.ControlPlane  = apiclient.ControlPlane{}
	_ agent.UsageReporter = apiclient.ControlPlane{}
	_ podnet.NodeSource   = apiclient.Nodes{}
	_ proxy.Source        = apiclient.Services{}
	_ proxy.Source        = (*apiclient.ServiceCache)(nil)
	_ ingress.ObjectCache = (*apiclient.KindCache)(nil)
)
