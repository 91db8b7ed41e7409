package main

import (
	"github.com/spf13/pflag"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
)

// lifecycleFlags are the node controller's timings
// (controllers.NodeLifecycle), under kube-controller-manager's and the
// DefaultTolerationSeconds admission plugin's names.
type lifecycleFlags struct{ l controllers.NodeLifecycle }

func (f *lifecycleFlags) register(fl *pflag.FlagSet) {
	fl.DurationVar(&f.l.MonitorGracePeriod, "node-monitor-grace-period", controllers.DefaultNodeMonitorGracePeriod,
		"how long a node may go without a heartbeat before it is marked Ready=Unknown and tainted node.kubernetes.io/unreachable (must be longer than the agents' --node-status-update-frequency)")
	fl.Int64Var(&f.l.DefaultTolerationSeconds, "default-toleration-seconds", controllers.DefaultTolerationSeconds,
		"how long the pods of a not-ready or unreachable node stay before they are evicted and replaced elsewhere, for pods without a toleration of their own (tolerationSeconds); no evictions while no node at all is Ready")
}
