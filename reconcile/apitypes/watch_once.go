package apitypes

// WatchOnceHeader on a watch's response (GET /api/v1/watch?once=true) says
// the server honours once: the stream ends after its first event, so the
// client reads it to the end and keeps its connection. An older server
// keeps streaming, and the client closes the stream as before.
const WatchOnceHeader = "X-Reconcile-Watch-Once"
