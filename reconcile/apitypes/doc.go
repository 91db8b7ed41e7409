// Package apitypes holds the bodies of the API's requests and answers that
// are not objects themselves: lists, watch events, short acknowledgements,
// the secrets recipient and source status. The server (reconcile/apiserver)
// encodes them and the client (reconcile/apiclient) decodes the same types,
// so the two cannot drift apart. Errors travel as apierrors.Status.
//
// Objects in bodies (node registration, pod status, events, replace) are
// the Kubernetes types themselves (corev1.Node, corev1.Pod, …).
package apitypes
