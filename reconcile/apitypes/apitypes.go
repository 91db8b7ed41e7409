package apitypes

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/sourcestate"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// List is a Kubernetes-style list (GET /api/v1/{plural}), as `reconcile
// get -o json` prints it. Decoding it types every item by its kind.
type List struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   ListMeta         `json:"metadata"`
	Items      []objects.Object `json:"items"`
}

// ListMeta carries the store's resourceVersion at the time of the list.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion"`
}

// UnmarshalJSON decodes each item into its typed object.
func (l *List) UnmarshalJSON(b []byte) error {
	var raw struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   ListMeta          `json:"metadata"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	l.APIVersion, l.Kind, l.Metadata = raw.APIVersion, raw.Kind, raw.Metadata
	l.Items = make([]objects.Object, 0, len(raw.Items))
	for i, it := range raw.Items {
		o, err := objects.Decode(it)
		if err != nil {
			return fmt.Errorf("list item %d: %w", i, err)
		}
		l.Items = append(l.Items, o)
	}
	return nil
}

// WatchEvent is one line of GET /api/v1/watch (the store's event).
type WatchEvent struct {
	Type            string         `json:"type"` // ADDED, MODIFIED, DELETED
	Object          objects.Object `json:"object"`
	ResourceVersion uint64         `json:"resourceVersion"`
}

// UnmarshalJSON decodes the object by its kind.
func (e *WatchEvent) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type            string          `json:"type"`
		Object          json.RawMessage `json:"object"`
		ResourceVersion uint64          `json:"resourceVersion"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	o, err := objects.Decode(raw.Object)
	if err != nil {
		return fmt.Errorf("watch event: %w", err)
	}
	e.Type, e.Object, e.ResourceVersion = raw.Type, o, raw.ResourceVersion
	return nil
}

// Ack is the answer of a request that only did something: node
// registration and heartbeat, pod status, pod finalisation, an event, a
// sync or a hook ("fetch requested").
type Ack struct {
	Status string `json:"status"`
	Source string `json:"source,omitempty"`
}

// ClusterInfo is the answer of GET /api/v1/cluster: what every agent
// reads at start.
type ClusterInfo struct {
	// ID is the reconcile.cluster label value of the cluster's Podman objects.
	ID string `json:"id"`
	// PodNetworkBackend is how nodes reach each other's pod subnets:
	// host-gw, vxlan or auto (controller --pod-network-backend; package
	// agent/podnet). Empty (an older controller) means host-gw.
	PodNetworkBackend string `json:"podNetworkBackend,omitempty"`
}

// Recipient is GET /api/v1/recipient: the controller's age recipient.
type Recipient struct {
	Recipient string `json:"recipient"`
}

// SourceStatus is what GET /api/v1/sources answers per source and `reconcile
// status` shows: the stored record (sourcestate.SourceStatus) and what the
// running controller knows besides. sources.Status is this type.
type SourceStatus struct {
	sourcestate.SourceStatus
	// ResolvedRef is the tag a semver range ref resolved to.
	ResolvedRef string `json:"resolvedRef,omitempty"`
	// LastAttemptedAuthor is the author of the last attempted commit.
	LastAttemptedAuthor string `json:"lastAttemptedAuthor,omitempty"`
	// SignedBy names the trusted key that signed the applied commit (or tag).
	SignedBy string `json:"signedBy,omitempty"`
	// Verify is the signature policy: off, head or tag.
	Verify string `json:"verify,omitempty"`
	// Namespace receives the objects that name no namespace.
	Namespace string `json:"namespace,omitempty"`
	// NextPollAt is the next poll of a remote source; zero for a local one,
	// which is watched instead.
	NextPollAt time.Time `json:"nextPollAt,omitzero"`
	// Webhook says whether POST /hooks/<name> is enabled.
	Webhook bool `json:"webhook"`
	// Pinned is true while a rollback holds the source at an earlier
	// commit (new commits are fetched, not applied) until `reconcile sync
	// --resume`; PinnedCommit is that commit.
	Pinned       bool      `json:"pinned"`
	PinnedCommit string    `json:"pinnedCommit,omitempty"`
	PinnedAt     time.Time `json:"pinnedAt,omitzero"`
	// PendingCommit is the newest commit at the ref while pinned: fetched,
	// not applied.
	PendingCommit        string `json:"pendingCommit,omitempty"`
	PendingCommitMessage string `json:"pendingCommitMessage,omitempty"`
	// DriftMode is heal or warn (see SourceStatus.Drift for what was found).
	DriftMode sourcestate.DriftMode `json:"driftMode"`
	// Fetches counts the fetches this controller process made of the source
	// (polls, watch signals, syncs and webhooks together, coalesced);
	// LastFetchAt is when the last one started.
	Fetches     uint64    `json:"fetches"`
	LastFetchAt time.Time `json:"lastFetchAt,omitzero"`
	// MinFetchInterval is the least time between two fetches (webhook
	// floods cost at most one fetch per interval).
	MinFetchInterval time.Duration `json:"minFetchInterval,omitempty"`
}

// SnapshotRestored answers POST /api/v1/snapshot: the resourceVersion the
// restored store is at (the snapshot's plus store.RestoreRVBump).
type SnapshotRestored struct {
	ResourceVersion uint64 `json:"resourceVersion"`
}

// TrailerResourceVersion is the HTTP trailer of GET /api/v1/snapshot
// naming the resourceVersion the snapshot holds (known once it is
// written); its absence means the stream was cut.
const TrailerResourceVersion = "Reconcile-Resource-Version"
