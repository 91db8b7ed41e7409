// Package kubeapi is the pure part of the read-only Kubernetes API that
// reconcile/apiserver serves under /api and /apis for kubectl and the tools
// built on client-go: the discovery documents (built from the kinds
// registry, schema/objects.Kinds, so a kind registered there is served
// without a change here; other packages add whole API groups with
// RegisterGroup), the reading of Kubernetes paths and list options
// (ParsePath, ParseListOptions, the opaque continue token), label and
// field selectors over stored objects (Match), the Table format that
// `kubectl get` asks for (ToTable, with the columns of reconcile/tables)
// and the 405 Status that answers every write with the git file and line
// to change instead (WriteRefused).
//
// Nothing here reads the store or the network: the handlers in
// reconcile/apiserver (kubeapi.go) do, and authorize every request through
// reconcile/authz, which reads Kubernetes paths with ParsePath too.
package kubeapi
