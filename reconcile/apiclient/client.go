package apiclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DefaultServer is where the controller listens unless told otherwise.
const DefaultServer = "https://127.0.0.1:7420"

// ErrNotFound matches every "no such object" answer; it is the API's
// not-found (apierrors.ErrNotFound == store.ErrNotFound), so errors.Is works
// with either name.
var ErrNotFound = apierrors.ErrNotFound

// Client is a connection to the controller: to one of its servers, moving
// to the next on connection errors (servers.go).
type Client struct {
	servers *servers
	token   string
	http    *http.Client
}

// New returns a client for server (e.g. https://127.0.0.1:7420; an
// address without a scheme is https://; several, comma-separated, for a
// control plane of several servers) sending token as a bearer token
// when it is not empty, over the default transport: for plain http://
// servers in tests. The CLI and agents use NewTLS.
func New(server, token string) *Client {
	return NewTLS(server, token, nil)
}

// NewTLS is New with the TLS of a client config (clientconfig.TLSConfig:
// the cluster CA as the only root, the client certificate).
func NewTLS(server, token string, tc *tls.Config) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = newDialer().DialContext // short dial timeout, several addresses per name
	if tc != nil {
		t.TLSClientConfig = tc
		// An agent runs several requests at once (long poll, watches,
		// heartbeats, status): keep their connections rather than pay a
		// TLS handshake for each past the default two idle ones.
		t.MaxIdleConnsPerHost = 16
	}
	return &Client{servers: newServers(server), token: token, http: &http.Client{Transport: t}}
}

// NormalizeServer is server as a URL: the default when empty, https://
// when it names no scheme (the controller serves HTTPS), no trailing slash.
func NormalizeServer(server string) string {
	if server == "" {
		server = DefaultServer
	}
	if !strings.Contains(server, "://") {
		server = "https://" + server
	}
	return strings.TrimRight(server, "/")
}

// ServerFromEnv picks the server as the CLI does: the flag, then
// RECONCILE_SERVER, then the default.
func ServerFromEnv(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv("RECONCILE_SERVER"); s != "" {
		return s
	}
	return DefaultServer
}

// TokenFromFile reads a bearer token file; an empty path reads RECONCILE_TOKEN.
func TokenFromFile(path string) (string, error) {
	if path == "" {
		return os.Getenv("RECONCILE_TOKEN"), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, path, q, b)
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			err := c.responseError(resp)
			resp.Body.Close()
			// The server sheds load (429 with Retry-After, its
			// --max-requests-inflight): wait as asked, plus jitter so
			// thousands of agents do not come back in the same second.
			if d, ok := retryAfter(resp); ok && attempt < maxRetries && ctxwait.Sleep(ctx, jittered(d, rand.Float64())) {
				continue
			}
			return err
		}
		defer resp.Body.Close()
		if out == nil {
			io.Copy(io.Discard, resp.Body)
			return nil
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
}

// send sends one request to the current server and, when that server
// cannot take it (failoverable) and the request may be repeated
// (retryable), to the next ones, each at most once. The answer's body is
// the caller's to close.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Response, error) {
	var firstErr error
	for range len(c.servers.urls) {
		i, base := c.servers.current()
		u := base + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err == nil {
			return resp, nil
		}
		if firstErr == nil {
			firstErr = c.unreachable(base, err)
		}
		if ctx.Err() != nil || !failoverable(err) {
			return nil, c.unreachable(base, err)
		}
		c.servers.failed(i)
		if !retryable(method, err) {
			return nil, c.unreachable(base, err)
		}
	}
	if len(c.servers.urls) > 1 {
		return nil, fmt.Errorf("no server of the control plane answered (%s): %w", c.servers.list(), firstErr)
	}
	return nil, firstErr
}

// responseError turns an error answer into the typed error its Status
// body names (apierrors): errors.Is(err, store.ErrNotFound), ErrGone,
// ErrConflict… hold across HTTP. The message keeps the controller's words.
// Go's answer to plain HTTP on a TLS port becomes "use https://".
func (c *Client) responseError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := plainToTLS(serverOf(resp), resp.StatusCode, b); err != nil {
		return err
	}
	var st apierrors.Status
	if json.Unmarshal(b, &st) != nil || st.Message == "" {
		st.Message = strings.TrimSpace(string(b))
		if st.Message == "" {
			st.Message = "controller answered " + resp.Status
		}
	}
	return st.Err(resp.StatusCode)
}

// ErrGone matches a watch from a resourceVersion the server no longer
// remembers (410, reason Expired): list again.
var ErrGone = apierrors.ErrGone

// List returns the objects of kind (in namespace, "" for all) and the
// store's resourceVersion.
func (c *Client) List(ctx context.Context, kind, namespace string, q url.Values) ([]objects.Object, uint64, error) {
	k, ok := objects.Info(kind)
	if !ok {
		return nil, 0, fmt.Errorf("unknown kind %q", kind)
	}
	if q == nil {
		q = url.Values{}
	}
	if namespace != "" {
		q.Set("namespace", namespace)
	}
	var l apitypes.List
	if err := c.do(ctx, http.MethodGet, "/api/v1/"+k.Plural, q, nil, &l); err != nil {
		return nil, 0, err
	}
	rv, _ := strconv.ParseUint(l.Metadata.ResourceVersion, 10, 64)
	return l.Items, rv, nil
}

// Get returns one object; a Secret's values come back masked.
func (c *Client) Get(ctx context.Context, key objects.Key) (objects.Object, error) {
	return c.get(ctx, key, url.Values{})
}

// GetRevealed returns one object with Secret values (?reveal=true): for the
// agent, which puts them into containers, and `get --reveal`.
func (c *Client) GetRevealed(ctx context.Context, key objects.Key) (objects.Object, error) {
	return c.get(ctx, key, url.Values{"reveal": {"true"}})
}

func (c *Client) get(ctx context.Context, key objects.Key, q url.Values) (objects.Object, error) {
	k, ok := objects.Info(key.Kind)
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", key.Kind)
	}
	if key.Namespace != "" {
		q.Set("namespace", key.Namespace)
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/"+k.Plural+"/"+url.PathEscape(key.Name), q, nil, &raw); err != nil {
		return nil, err
	}
	return objects.Decode(raw)
}

// Recipient returns the controller's age recipient (`reconcile secret encrypt`).
func (c *Client) Recipient(ctx context.Context) (string, error) {
	var out apitypes.Recipient
	if err := c.do(ctx, http.MethodGet, "/api/v1/recipient", nil, nil, &out); err != nil {
		return "", err
	}
	return out.Recipient, nil
}

// Sources returns the status of every git source.
func (c *Client) Sources(ctx context.Context) ([]apitypes.SourceStatus, error) {
	var out []apitypes.SourceStatus
	err := c.do(ctx, http.MethodGet, "/api/v1/sources", nil, nil, &out)
	return out, err
}

// Sync asks the controller to fetch source now ("" = every source).
func (c *Client) Sync(ctx context.Context, source string) error {
	q := url.Values{}
	if source != "" {
		q.Set("source", source)
	}
	return c.doOnLeader(ctx, http.MethodPost, "/api/v1/sync", q, nil)
}

// WatchEvent is one line of the watch stream (the wire type).
type WatchEvent = apitypes.WatchEvent

// Watch streams events after rv to fn until fn returns false, ctx ends or
// the stream closes. kind and node filter on the server.
func (c *Client) Watch(ctx context.Context, rv uint64, kind, node string, fn func(WatchEvent) bool) error {
	q := url.Values{"resourceVersion": {strconv.FormatUint(rv, 10)}}
	if kind != "" {
		q.Set("kind", kind)
	}
	if node != "" {
		q.Set("node", node)
	}
	return c.watch(ctx, q, fn)
}

// watch streams the watch with query q (resourceVersion, kind, node,
// reveal) to fn.
func (c *Client) watch(ctx context.Context, q url.Values, fn func(WatchEvent) bool) error {
	resp, err := c.stream(ctx, "/api/v1/watch", q)
	if err != nil {
		return err
	}
	return readWatch(ctx, resp, "watch", fn)
}

// readWatch hands fn the events of a watch response, one JSON object a
// line, until fn returns false, the stream ends or ctx is done (no error).
func readWatch(ctx context.Context, resp *http.Response, what string, fn func(WatchEvent) bool) error {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("%s: bad event: %w", what, err)
		}
		if !fn(ev) {
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// waitOnce is the long poll of WaitPods: a watch of node's pods after rv
// that the server ends after the first event (?once=true), or a second
// before ctx's deadline (timeoutSeconds, when a deadline leaves at least
// minServerTimeout), so that the response is read to its end and the
// connection stays for the next request; a stream this side had to cut
// (an older server, a shorter deadline) costs the connection, as before.
func (c *Client) waitOnce(ctx context.Context, rv uint64, node string) error {
	q := url.Values{"resourceVersion": {strconv.FormatUint(rv, 10)}, "kind": {"Pod"}, "node": {node}, "once": {"true"}}
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d) - time.Second; left >= minServerTimeout {
			q.Set("timeoutSeconds", strconv.Itoa(int(left/time.Second)))
		}
	}
	resp, err := c.stream(ctx, "/api/v1/watch", q)
	if err != nil {
		return err
	}
	honoured := resp.Header.Get(apitypes.WatchOnceHeader) == "true"
	err = readWatch(ctx, resp, "watch", func(WatchEvent) bool { return honoured }) // honoured: read on to the end
	return err
}

// minServerTimeout: a shorter long poll (an agent's 2 s resync) is ended
// by this side, since the server counts whole seconds.
const minServerTimeout = 5 * time.Second

// waitTimeout bounds one long poll, so a silently dropped connection is
// noticed and the agent re-lists.
const waitTimeout = 30 * time.Second

// stream opens a long-running GET (a watch, a followed log) and returns
// the response for the caller to read and close; an error answer is
// turned into an error.
func (c *Client) stream(ctx context.Context, path string, q url.Values) (*http.Response, error) {
	resp, err := c.send(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, c.responseError(resp)
	}
	return resp, nil
}

// WatchList follows one kind's objects the Kubernetes way (GET
// /api/v1/{plural}?watch=1; `reconcile get -w`): events after rv (0: the
// existing objects first, as ADDED) in namespace ("" = all) that pass q's
// labelSelector and fieldSelector, until fn returns false or ctx ends.
func (c *Client) WatchList(ctx context.Context, kind, namespace string, rv uint64, q url.Values, fn func(WatchEvent) bool) error {
	k, ok := objects.Info(kind)
	if !ok {
		return fmt.Errorf("unknown kind %q", kind)
	}
	wq := url.Values{"watch": {"1"}, "resourceVersion": {strconv.FormatUint(rv, 10)}}
	for key, v := range q {
		wq[key] = v
	}
	if namespace != "" {
		wq.Set("namespace", namespace)
	}
	resp, err := c.stream(ctx, "/api/v1/"+k.Plural, wq)
	if err != nil {
		return err
	}
	return readWatch(ctx, resp, "watch "+k.Plural, fn)
}
