package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Whoever can connect to the Podman API is root on the node: it runs
// privileged containers with host mounts. So the agent refuses an endpoint
// that anyone but root (or the agent's own user) can reach, unless the
// operator says otherwise (--allow-insecure-podman), and then warns at every
// start.

// EndpointFacts is what decides whether a Podman endpoint is private; read
// from the file system by ReadEndpointFacts, judged by EndpointProblems.
type EndpointFacts struct {
	Scheme string // unix, tcp, ssh
	Path   string // unix: the socket path
	// The socket's and its directory's mode and owner (unix).
	SocketMode, DirMode os.FileMode
	SocketUID, DirUID   uint32
	SocketGID, DirGID   uint32
	IsSocket            bool
	// AgentUID is the agent's effective uid: root or it may own the socket.
	AgentUID uint32
}

// EndpointProblems says why others than root can reach the endpoint; empty
// when it is private. It is pure.
func EndpointProblems(f EndpointFacts) []string {
	trusted := func(uid uint32) bool { return uid == 0 || uid == f.AgentUID }
	var out []string
	switch f.Scheme {
	case "unix":
		if !f.IsSocket {
			return []string{fmt.Sprintf("%s is not a unix socket", f.Path)}
		}
		// Group write is fine for the root group (systemd's podman.socket
		// is 0660 root:root); anyone else's group is not.
		if w := f.SocketMode.Perm() & writable(f.SocketGID); w != 0 {
			out = append(out, fmt.Sprintf("socket %s has mode %04o (group %d): group or others may connect (want 0600: chmod go-w %s)", f.Path, f.SocketMode.Perm(), f.SocketGID, f.Path))
		}
		if !trusted(f.SocketUID) {
			out = append(out, fmt.Sprintf("socket %s is owned by uid %d, not root or the agent's uid %d", f.Path, f.SocketUID, f.AgentUID))
		}
		dir := filepath.Dir(f.Path)
		if f.DirMode.Perm()&writable(f.DirGID) != 0 && f.DirMode&os.ModeSticky == 0 {
			out = append(out, fmt.Sprintf("directory %s has mode %04o: group or others may replace the socket (chmod go-w %s)", dir, f.DirMode.Perm(), dir))
		}
		if !trusted(f.DirUID) {
			out = append(out, fmt.Sprintf("directory %s is owned by uid %d, not root or the agent's uid %d", dir, f.DirUID, f.AgentUID))
		}
	case "tcp":
		out = append(out, "tcp:// carries the Podman API without TLS or authentication: anyone who reaches the port is root on this node (use a unix socket, or ssh://)")
	case "ssh":
		// authenticated and encrypted by SSH
	default:
		out = append(out, fmt.Sprintf("unknown Podman endpoint scheme %q (want unix://, ssh:// or tcp://)", f.Scheme))
	}
	return out
}

// writable is the mode bits that let others than root write, given the
// file's group: group write counts unless the group is root's.
func writable(gid uint32) os.FileMode {
	if gid == 0 {
		return 0o002
	}
	return 0o022
}

// ReadEndpointFacts parses the endpoint URI and stats a unix socket and
// its directory.
func ReadEndpointFacts(uri string) (EndpointFacts, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return EndpointFacts{}, fmt.Errorf("Podman endpoint %q: %w", uri, err)
	}
	f := EndpointFacts{Scheme: u.Scheme, AgentUID: uint32(os.Geteuid())}
	if f.Scheme != "unix" {
		return f, nil
	}
	f.Path = u.Path
	if f.Path == "" {
		f.Path = u.Opaque
	}
	fi, err := os.Stat(f.Path)
	if err != nil {
		return f, fmt.Errorf("Podman socket: %w", err)
	}
	f.IsSocket = fi.Mode()&os.ModeSocket != 0
	f.SocketMode = fi.Mode()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.SocketUID, f.SocketGID = st.Uid, st.Gid
	}
	di, err := os.Stat(filepath.Dir(f.Path))
	if err != nil {
		return f, fmt.Errorf("Podman socket directory: %w", err)
	}
	f.DirMode = di.Mode()
	if st, ok := di.Sys().(*syscall.Stat_t); ok {
		f.DirUID, f.DirGID = st.Uid, st.Gid
	}
	return f, nil
}

// ErrInsecureEndpoint is wrapped by CheckPodmanEndpoint's refusal.
var ErrInsecureEndpoint = errors.New("insecure Podman endpoint")

// CheckPodmanEndpoint refuses an endpoint others than root can reach;
// with allowInsecure it logs a warning instead (at every start).
func CheckPodmanEndpoint(uri string, allowInsecure bool, log *slog.Logger) error {
	f, err := ReadEndpointFacts(uri)
	if err != nil {
		return err
	}
	problems := EndpointProblems(f)
	if len(problems) == 0 {
		return nil
	}
	if allowInsecure {
		log.Warn("INSECURE: the Podman API is reachable by others than root; they can run anything as root on this node (--allow-insecure-podman)",
			"podman", uri, "problems", strings.Join(problems, "; "))
		return nil
	}
	return fmt.Errorf("%w %s: %s; fix it, or pass --allow-insecure-podman to use it anyway", ErrInsecureEndpoint, uri, strings.Join(problems, "; "))
}
