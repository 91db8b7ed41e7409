// Package apiclient talks to the controller's HTTP API (package apiserver):
// the CLI's reads, and the agent's ControlPlane (node registration,
// heartbeats, its pods, config and pod status).
package apiclient
