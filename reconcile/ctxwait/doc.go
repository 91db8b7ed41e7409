// Package ctxwait is the one way long-running loops (the agent's, a
// node's certificate renewal, a drain) pause: a sleep that a cancelled
// context cuts short, so shutdown never waits out a backoff.
package ctxwait
