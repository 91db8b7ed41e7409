package apitypes

// ServerJoinRequest is the body of POST /api/v1/servers/join (a server
// join token in "Authorization: Bearer"): the joining server's name and
// the peer URL its etcd member will listen on.
type ServerJoinRequest struct {
	Name    string `json:"name"`
	PeerURL string `json:"peerURL"`
}

// ServerJoin answers a server's join: the etcd member added for it (a
// learner), the initial cluster it starts with, the started members'
// client URLs (it promotes itself through them once caught up), and the
// cluster's shared files, by path under the data directory: the CA's
// certificate and key (every server issues node certificates), the admin
// API token and the Secrets key (every server may lead and decrypt).
type ServerJoin struct {
	MemberID       string            `json:"memberID"` // hex
	InitialCluster string            `json:"initialCluster"`
	ClientURLs     []string          `json:"clientURLs"`
	Files          map[string][]byte `json:"files"`
}

// Servers answers GET /api/v1/servers: the store engine, the controller
// leader and, on etcd, its members.
type Servers struct {
	// Store: "badger (single server)", "etcd (embedded)" or "etcd (external)".
	Store   string         `json:"store"`
	Leader  string         `json:"leader,omitempty"` // the server running git sync, controllers and the scheduler
	Members []ServerMember `json:"members,omitempty"`
	// Error: why the members could not be listed (no quorum…).
	Error string `json:"error,omitempty"`
}

// ServerMember is one etcd member.
type ServerMember struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	PeerURL   string `json:"peerURL"`
	ClientURL string `json:"clientURL"`
	Learner   bool   `json:"learner,omitempty"`
	Leader    bool   `json:"leader"` // etcd's raft leader
	Healthy   bool   `json:"healthy"`
	Error     string `json:"error,omitempty"`
	DBSize    int64  `json:"dbSize"`
	// DBSizeInUse: the part of DBSize the backend uses; the rest is free
	// pages that defragmentation gives back (etcd's dbSizeInUse).
	DBSizeInUse int64  `json:"dbSizeInUse"`
	RaftIndex   uint64 `json:"raftIndex"`
}

// StatusReport is `reconcile status -o json`: every git source (GET
// /api/v1/sources) and the control plane's servers (GET /api/v1/servers,
// the block the text output ends with; absent from a server that has no
// such route). The field names are a stable contract (docs/internals.md).
type StatusReport struct {
	Sources []SourceStatus `json:"sources"`
	Servers *Servers       `json:"servers,omitempty"`
}

// ServerRemoved answers DELETE /api/v1/servers/{name}.
type ServerRemoved struct {
	Name     string `json:"name"`
	MemberID string `json:"memberID"`
}
