package main

import (
	"log/slog"

	"github.com/reconcile-dev/reconcile/agent/agentcmd"
)

// The data directory's default and the logger are the agent's and every
// other command's alike (agentcmd, which the node binary shares).
func defaultDataDir() string  { return agentcmd.DefaultDataDir() }
func newLogger() *slog.Logger { return agentcmd.NewLogger() }
