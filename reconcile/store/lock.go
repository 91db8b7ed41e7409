package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// DefaultLockWait is how long Open waits for another process's lock on the
// store directory. A process killed with SIGKILL releases Badger's flock
// only once the kernel has torn it down (unmapping a large store takes a
// moment), so a restart right after `kill -9` finds the lock still held.
const DefaultLockWait = 30 * time.Second

// lockRetry is the pause between two attempts while the lock is held.
const lockRetry = 100 * time.Millisecond

// ErrLocked: another process kept the store directory locked for longer
// than Options.LockWait.
var ErrLocked = errors.New("store directory locked by another process")

type lockedError string

func (e lockedError) Error() string        { return string(e) }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// isLockError tells Badger's "directory lock" error from the others.
func isLockError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// lockHolder reads the pid Badger writes into DIR/LOCK and describes the
// process: "process 123 (reconcile, exiting)". Best effort: "" when unknown.
func lockHolder(dir string) (pid int, desc string, exiting bool) {
	b, err := os.ReadFile(filepath.Join(dir, "LOCK"))
	if err != nil {
		return 0, "", true // the holder removed its pid file: it is closing
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, "", true
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return pid, fmt.Sprintf("process %d (gone)", pid), true
	}
	name, state := procField(status, "Name:"), procField(status, "State:")
	// Z (zombie), X (dead): its files are closed or being closed.
	exiting = strings.HasPrefix(state, "Z") || strings.HasPrefix(state, "X")
	return pid, fmt.Sprintf("process %d (%s, state %s)", pid, name, state), exiting
}

func procField(status []byte, name string) string {
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, name); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// openLocked is badger.Open that waits up to wait while another process
// holds the directory lock, saying so once in the log.
func openLocked(dir string, opts badger.Options, wait time.Duration, log *slog.Logger) (*badger.DB, error) {
	deadline := time.Now().Add(wait)
	logged := false
	for {
		db, err := badger.Open(opts)
		if !isLockError(err) {
			return db, err
		}
		pid, desc, exiting := lockHolder(dir)
		if time.Now().After(deadline) {
			what := "another process"
			if desc != "" {
				what = desc
			}
			return nil, lockedError(fmt.Sprintf("the store directory %s is locked by %s and was not released within %s: "+
				"stop that process (kill %d), or give this one another data directory (--data)", dir, what, wait, pid))
		}
		if !logged {
			logged = true
			if exiting {
				log.Warn(fmt.Sprintf("waiting for the lock of %s held by a process that is exiting", dir), "holder", desc, "wait", wait)
			} else {
				log.Warn(fmt.Sprintf("waiting for the lock of %s held by %s (a process that is exiting, or another reconcile using this data directory)", dir, desc), "wait", wait)
			}
		}
		time.Sleep(lockRetry)
	}
}
