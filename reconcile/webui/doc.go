// Package webui is the product's web UI: plain HTML, CSS and JavaScript
// modules embedded in the binary (no build step, no Node toolchain, no
// CDN), the pure view models the API server computes for it, and the
// loopback proxy of `reconcile ui`.
//
// Serving (assets.go): the controller mounts Handler at "/" and "/ui/" on
// its API address; the assets hold no data and need no identity (a login
// page must load before one exists). Everything the pages show comes from
// the API under /api/v1/, which authenticates and authorizes every request
// as for the CLI (reconcile/authz): a viewer sees no rollback button
// because GET /api/v1/ui/whoami says the authorizer would refuse it, and
// Secret values never reach a page (the API masks them for every role the
// UI asks as: it never sends ?reveal=true).
//
// Login: a browser talking to the controller directly has no client
// certificate to give, so the login page asks for a bearer token (the
// admin token, or a person's from `reconcile user create --token`) and
// keeps it in sessionStorage, sending it as "Authorization: Bearer" on
// each fetch. Not a cookie: a cookie is sent by the browser on its own, so
// every state-changing route would need CSRF defences; a header only our
// own script sets cannot be forged by another site, needs no change to the
// API's authentication, and the token leaves with the tab. The cost, that
// a script injected into the page could read it, is closed by the Content
// Security Policy (scripts from this origin only, no inline script, no
// eval) and by pages that build the DOM with textContent only.
//
// View models (overview.go, tree.go, object.go): pure functions over
// stored objects, so that the 1,000-Deployment overview is one JSON answer
// the browser renders, not thousands of objects it would have to assess:
// health is controllers.Health (each kind's registry assessor), the tree
// follows ownerReferences generically (any kind with an owner appears
// under it) plus Kubernetes' one implicit link, Service → Endpoints of the
// same name.
//
// Live updates: GET /api/v1/ui/changes is a server-sent-events stream
// (text/event-stream) with one "change" event per burst of store writes
// (objects from the store's watch, and source status records, which send
// no watch events, from store.MetaChanged); pages refetch their view on
// it, so a commit shows within a second without polling.
//
// Proxy (proxy.go): `reconcile ui` listens on loopback only and forwards to
// the controller with the caller's own credentials (client certificate or
// token from the CLI's config), as `kubectl proxy` does. Because it adds
// credentials, it refuses what a browser would let another site do through
// it: a Host that is not a loopback name (DNS rebinding) and a
// state-changing request whose Origin is not the proxy itself (CSRF).
package webui
