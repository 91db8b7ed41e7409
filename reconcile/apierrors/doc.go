// Package apierrors is the one error vocabulary of the store, the API server
// and the API client: a small set of reasons (Kubernetes' metav1.StatusReason
// words), each mapped to one HTTP status code in one table, sentinel errors
// for errors.Is, and the Status body that carries an error over HTTP.
//
// The store's sentinels are these (store.ErrNotFound == apierrors.ErrNotFound),
// the API server answers every error with a Status built by FromError, and
// the client turns a Status back into an *Error whose Is matches the same
// sentinels, so errors.Is(err, store.ErrNotFound) holds on both sides of
// the wire. The package depends on the standard library only, so every
// client can use it.
package apierrors
