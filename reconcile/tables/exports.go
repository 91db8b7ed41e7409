package tables

import (
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Row renders one object as table columns (header and cells), with the
// -o wide columns when wide: the header depends on the object's kind.
func Row(o objects.Object, wide bool) (header, cols []string) { return row(o, wide) }

// Print writes items as one table (tabwriter), the header from the first
// item's kind, with a NAMESPACE column first when withNS.
func Print(w io.Writer, items []objects.Object, wide, withNS bool) error {
	return printTable(w, items, wide, withNS)
}

// The cell helpers the CLI's describe and events reuse.
var (
	// Ago is kubectl's AGE: how long before now t was.
	Ago = ago
	// OneLine folds a message onto one line.
	OneLine = oneLine
	// Dash is "<none>" for an empty cell.
	Dash = dash
	// PodStatus is kubectl's pod STATUS column.
	PodStatus = podStatus
	// Replicas is spec.replicas with Kubernetes' default of 1.
	Replicas = replicas
	// Images lists a pod spec's container images.
	Images = images
	// ShortID is a container ID without its runtime prefix, 12 characters.
	ShortID = shortID
	// NodeRow is `get nodes`' row at a given clock.
	NodeRow = nodeRow
	// ExternalIP is kubectl's EXTERNAL-IP of a Service (<pending> for a
	// LoadBalancer without addresses yet).
	ExternalIP = externalIPColumn
	// Taints is key[=value]:Effect, comma separated.
	Taints = taints
)

// CertificateExpiry is the node's certificate expiry as `get nodes -o wide` shows it.
func CertificateExpiry(n *corev1.Node, now time.Time) string { return certificateExpiry(n, now) }
