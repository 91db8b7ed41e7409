// Package testkit holds the helpers every test package of reconcile
// shares, so each exists once: golden files with one -update flag, a fake
// clock, polling with a deadline (Eventually), and real git repositories
// (git.go, with signing keys in sshkey.go and a git HTTP server in
// githttp.go).
//
// It is imported only by tests. It must stay light: nothing here may
// import the Podman bindings or any package of this module, so every test
// binary can use it without an import cycle.
package testkit
