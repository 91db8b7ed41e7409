package main

import (
	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/ingress"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
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
	// The Kubernetes API's 405 names the line of an object's document.
	_ apiserver.ManifestLocator = (*sources.Manager)(nil)
)
