// Package apiserver serves the store over HTTP/JSON: list, get and watch
// objects for the CLI, and node registration, heartbeats, pod lists and pod
// status for agents, plus the sync trigger and source status.
//
// Paths (all JSON):
//
//	GET  /healthz
//	GET  /api/v1/{plural}[?namespace=NS][&node=NODE]   a <Kind>List with items and metadata.resourceVersion
//	                                                   (the Kubernetes list: labelSelector, fieldSelector,
//	                                                   limit/continue, ?watch=1, Table; kubeapi.go)
//	GET  /api/v1/{plural}/{name}[?namespace=NS]        one object
//	PUT  /api/v1/{plural}/{name}[?namespace=NS]        replace an object (kubectl replace; replace.go)
//	GET  /api/v1/watch?resourceVersion=RV[&kind=K][&node=NODE]
//	                                                   a stream of JSON watch events, one per line
//	                                                   (one fan-out for all: fanout.go)
//	POST /api/v1/nodes                                 register a node (create or replace its status)
//	POST /api/v1/nodes/{name}/heartbeat                renew the node's lease (nodelease; Ready=True written only if it was not)
//	PATCH /api/v1/nodes/{name}                         {"spec":{"unschedulable":true|false}}: cordon, uncordon (nodes.go)
//	POST /api/v1/pods/{name}/eviction?namespace=NS     evict a pod gracefully (policy/v1 Eviction; eviction.go)
//	PUT  /api/v1/pods/{name}/status?namespace=NS       write a pod's status (checked by uid;
//	                                                   committed in groups: status_batch.go)
//	DELETE /api/v1/pods/{name}?namespace=NS&uid=UID    remove a pod whose containers the agent stopped
//	POST /api/v1/events                                record an event (agents)
//	GET  /api/v1/sources                               status of every git source
//	GET  /api/v1/recipient                             the controller's age recipient, {"recipient": "age1…"}
//	POST /api/v1/sync[?source=NAME]                    fetch now
//	GET  /api/v1/history[?source=NAME]                 applied commits, newest first (history.go)
//	POST /api/v1/rollback?commit=C[&source=NAME]       apply an earlier commit and pin the source
//	POST /api/v1/resume[?source=NAME]                  unpin: follow the ref again
//	POST /hooks/{source}                               webhook from a git host: fetch now (hooks.go)
//	POST /api/v1/tokens, GET /api/v1/tokens            make, list join tokens (admin; join.go)
//	DELETE /api/v1/tokens/{id}                         delete a join token (admin)
//	POST /api/v1/join                                  a node joins: join token as bearer, key's CSR → certificate
//	POST /api/v1/nodes/{name}/certificate              a node renews its own certificate (mTLS)
//	DELETE /api/v1/nodes/{name}                        delete a node and its pods, revoke its certificates (admin)
//	GET  /api/v1/servers                               the store, the controller leader, the etcd members (servers.go)
//	POST /api/v1/servers/join                          a server joins: server join token as bearer → learner, CA, keys
//	DELETE /api/v1/servers/{name}                      remove a server's etcd member (admin)
//	GET  /, /ui/…                                      the web UI's page and assets (no identity needed; ui.go, reconcile/webui)
//	GET  /api/v1/ui/whoami                             the caller's identity and which actions it may take
//	GET  /api/v1/ui/overview                           sources, nodes and health counts, aggregated
//	GET  /api/v1/ui/tree?source=S&namespace=NS         a source's objects and what they created, with health
//	GET  /api/v1/ui/object?kind=K&namespace=NS&name=N  one object, its owners, events and its file in git
//	GET  /api/v1/ui/diff?source=S&from=C&to=C          the plan between two commits as markdown
//	GET  /api/v1/ui/changes                            server-sent events, one per burst of store writes (ui_changes.go)
//
// The read-only Kubernetes API for kubectl (kubeapi.go, package
// reconcile/kubeapi), every kind of the registry:
//
//	GET  /api, /api/v1, /apis, /apis/{group}[/{version}]   discovery
//	GET  /version, /openapi/v2                             version; a Swagger document without definitions
//	GET  /api/v1/[namespaces/{ns}/]{plural}[/{name}]       list, get, ?watch=1 (WatchEvents), Table
//	GET  /apis/{group}/{version}/[namespaces/{ns}/]{plural}[/{name}]
//	GET  /api/v1/namespaces/{ns}/pods/{name}/log           pods/log (follow, container, tailLines…)
//	POST, PUT, PATCH, DELETE on those paths                 405 MethodNotAllowed naming the git file:line
//	                                                       (the product's own write routes above keep theirs)
//
// The server listens on 127.0.0.1:7420 by default, over TLS (Server.TLS:
// the cluster CA's serving certificate, client certificates verified when
// given). On every address, loopback included, every request is made by
// someone (guard.go, reconcile/authz): a client certificate of the cluster
// CA names a node or a person with a role, and "Authorization: Bearer
// <token>" with the admin token generated into the data directory at first
// start is an admin (both are written with the https:// URL and the CA to
// DATA/admin.conf, which the CLI reads): a control plane that can start
// containers must be open neither to the network nor to the other users of
// its host. The authorizer then allows or forbids the request (403) for
// that identity's role; a node's lists and watches carry only its own
// objects. GET /healthz and the web UI's assets need no identity; POST /api/v1/join has the join
// token as its only credential. A revoked certificate (Server.Revoked) is
// refused on every request.
// Webhooks are the other exception: git hosts cannot send the token, so
// /hooks/ checks an HMAC signature (or GitLab's token) against the source's
// own secret, and a valid hook can only make that source fetch.
//
// Errors are answered as Kubernetes-style Status bodies (reconcile/apierrors);
// the other bodies are the wire structs of reconcile/apitypes. A panicking
// handler answers 500 and the server keeps serving; every server has header,
// body-read, write and idle timeouts (reconcile/httpserver), which watch and
// log streams extend per write.
package apiserver
