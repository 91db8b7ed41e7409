package main

import "github.com/reconcile-dev/reconcile/reconcile/tables"

// The table cells live in reconcile/tables (shared with the Kubernetes
// API's Table format); these are their names in the CLI's files.
var (
	printTable        = tables.Print
	ago               = tables.Ago
	oneLine           = tables.OneLine
	dash              = tables.Dash
	podStatus         = tables.PodStatus
	replicas          = tables.Replicas
	images            = tables.Images
	shortID           = tables.ShortID
	taints            = tables.Taints
	certificateExpiry = tables.CertificateExpiry
	nodeRow           = tables.NodeRow
)
