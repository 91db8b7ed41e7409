package agent

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// listenUnix makes a real socket in a fresh directory of the given mode.
func listenUnix(t *testing.T, dirMode, sockMode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "podman.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := os.Chmod(sock, sockMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		t.Fatal(err)
	}
	return "unix://" + sock
}

// chgrp gives the socket and its directory a group other than root's.
func chgrp(t *testing.T, uri string, gid int) {
	t.Helper()
	sock := strings.TrimPrefix(uri, "unix://")
	for _, p := range []string{sock, filepath.Dir(sock)} {
		if err := os.Chown(p, -1, gid); err != nil {
			t.Skipf("chown: %v", err)
		}
	}
}

func TestCheckPodmanEndpointSocketModes(t *testing.T) {
	for _, tc := range []struct {
		name              string
		dirMode, sockMode os.FileMode
		refuse            string // a word of the refusal; "" = accepted
	}{
		{"private socket", 0o700, 0o600, ""},
		{"owner rwx socket", 0o755, 0o700, ""},
		{"group readable only", 0o750, 0o640, ""},
		{"world writable socket", 0o755, 0o666, "mode 0666"},
		{"group writable socket of root's group (systemd's podman.socket)", 0o755, 0o660, ""},
		{"group writable socket of another group", 0o755, 0o660, "mode 0660 (group 100)"},
		{"world writable dir", 0o777, 0o600, "may replace the socket"},
		{"sticky world writable dir", os.ModeSticky | 0o777, 0o600, ""},
		{"group writable dir of another group", 0o775, 0o600, "may replace the socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uri := listenUnix(t, tc.dirMode, tc.sockMode)
			if strings.Contains(tc.name, "another group") {
				chgrp(t, uri, 100)
			} else {
				chgrp(t, uri, 0)
			}
			err := CheckPodmanEndpoint(uri, false, slog.New(slog.DiscardHandler))
			switch {
			case tc.refuse == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.refuse != "" && (err == nil || !errors.Is(err, ErrInsecureEndpoint) || !strings.Contains(err.Error(), tc.refuse)):
				t.Errorf("want a refusal naming %q, got %v", tc.refuse, err)
			}
			if tc.refuse != "" {
				if err := CheckPodmanEndpoint(uri, true, slog.New(slog.DiscardHandler)); err != nil {
					t.Errorf("--allow-insecure-podman still refused: %v", err)
				}
			}
		})
	}
}

func TestEndpointProblemsOwnersAndSchemes(t *testing.T) {
	base := EndpointFacts{Scheme: "unix", Path: "/run/x/podman.sock", IsSocket: true, SocketMode: os.ModeSocket | 0o600,
		DirMode: os.ModeDir | 0o700, AgentUID: 0}
	for _, tc := range []struct {
		name  string
		edit  func(*EndpointFacts)
		wants string
	}{
		{"root owned", func(*EndpointFacts) {}, ""},
		{"socket of another user", func(f *EndpointFacts) { f.SocketUID = 1000 }, "owned by uid 1000"},
		{"directory of another user", func(f *EndpointFacts) { f.DirUID = 1000 }, "directory /run/x is owned by uid 1000"},
		{"the agent's own user", func(f *EndpointFacts) { f.AgentUID, f.SocketUID, f.DirUID = 1000, 1000, 1000 }, ""},
		{"not a socket", func(f *EndpointFacts) { f.IsSocket = false }, "not a unix socket"},
		{"tcp", func(f *EndpointFacts) { *f = EndpointFacts{Scheme: "tcp"} }, "without TLS"},
		{"ssh", func(f *EndpointFacts) { *f = EndpointFacts{Scheme: "ssh"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			tc.edit(&f)
			got := strings.Join(EndpointProblems(f), "; ")
			if (tc.wants == "") != (got == "") || !strings.Contains(got, tc.wants) {
				t.Errorf("problems %q, want %q", got, tc.wants)
			}
		})
	}
}

func TestCheckPodmanEndpointTCP(t *testing.T) {
	if err := CheckPodmanEndpoint("tcp://127.0.0.1:8888", false, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrInsecureEndpoint) {
		t.Errorf("tcp:// without TLS was accepted: %v", err)
	}
}

func FuzzEndpointFacts(f *testing.F) {
	for _, s := range []string{"unix:///run/podman/podman.sock", "tcp://1.2.3.4:80", "ssh://core@h/run/podman.sock", "unix:relative", "%%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		facts, err := ReadEndpointFacts(uri)
		if err != nil {
			return
		}
		_ = EndpointProblems(facts) // never panics
	})
}
