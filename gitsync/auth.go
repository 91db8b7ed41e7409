package gitsync

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// authFunc builds the credentials for one fetch. Credentials are read from
// their files at every fetch, so a rotated token (GitHub App tokens live an
// hour) is picked up without a restart.
type authFunc func() (transport.AuthMethod, error)

// authFor checks the credential files of cfg once (so mistakes show at
// start) and returns how to build credentials for each fetch.
func authFor(kind urlKind, cfg Config) (authFunc, error) {
	var f authFunc
	switch kind {
	case kindHTTP:
		if cfg.TokenFile == "" {
			return func() (transport.AuthMethod, error) { return nil, nil }, nil
		}
		if err := checkTokenTransport(cfg.URL); err != nil {
			return nil, err
		}
		f = func() (transport.AuthMethod, error) { return tokenAuth(cfg.TokenFile) }
	case kindSSH:
		f = func() (transport.AuthMethod, error) { return sshAuth(cfg) }
	default:
		return func() (transport.AuthMethod, error) { return nil, nil }, nil
	}
	if _, err := f(); err != nil {
		return nil, fmt.Errorf("source %q: %w", cfg.Name, err)
	}
	return f, nil
}

// checkTokenTransport refuses to send a token in clear text over the
// network: plain http is allowed only to the loopback interface.
func checkTokenTransport(rawURL string) error {
	if !strings.HasPrefix(rawURL, "http://") {
		return nil
	}
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return fmt.Errorf("source URL %q: %w", rawURL, err)
	}
	host := strings.Trim(ep.Host, "[]")
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return nil
	}
	return fmt.Errorf("source URL %q uses plain http: refusing to send the token in clear text to %s; use https://", rawURL, ep.Host)
}

// tokenAuth reads a token file. Its content is one of
//
//	TOKEN          basic auth as "x-access-token" (GitHub's convention; GitLab,
//	               Gitea and Bitbucket accept any user name with a token)
//	USER:TOKEN     basic auth with that user name (e.g. "oauth2:TOKEN" for GitLab)
//	Bearer TOKEN   an Authorization: Bearer header (Azure DevOps, some proxies)
func tokenAuth(file string) (transport.AuthMethod, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading token file: %w: create it with the access token as its only line", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return nil, fmt.Errorf("token file %s is empty: put the access token in it", file)
	}
	if rest, ok := strings.CutPrefix(tok, "Bearer "); ok {
		return &githttp.TokenAuth{Token: strings.TrimSpace(rest)}, nil
	}
	if user, pass, ok := strings.Cut(tok, ":"); ok && user != "" && pass != "" && !strings.ContainsAny(user, " \t") {
		return &githttp.BasicAuth{Username: user, Password: pass}, nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: tok}, nil
}

// sshAuth builds public-key auth with a host key check against known_hosts.
// There is deliberately no way to skip the host key check.
func sshAuth(cfg Config) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("source URL %q: %w", cfg.URL, err)
	}
	user := ep.User
	if user == "" {
		user = "git"
	}
	port := ep.Port
	if port == 0 {
		port = 22
	}
	hostPort := net.JoinHostPort(ep.Host, strconv.Itoa(port))
	helper, err := hostKeyCheck(cfg.KnownHostsFile, ep.Host, hostPort)
	if err != nil {
		return nil, err
	}
	if cfg.SSHKeyFile == "" {
		if os.Getenv("SSH_AUTH_SOCK") == "" {
			return nil, fmt.Errorf("ssh source %s needs a private key: set the source's SSH key file (a deploy key without passphrase)", cfg.URL)
		}
		a, err := gitssh.NewSSHAgentAuth(user)
		if err != nil {
			return nil, fmt.Errorf("ssh source %s: no key file given and the ssh agent is unusable: %w", cfg.URL, err)
		}
		a.HostKeyCallbackHelper = helper
		return a, nil
	}
	pemBytes, err := os.ReadFile(cfg.SSHKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading ssh key: %w: give the private key file of a deploy key (e.g. made by ssh-keygen -t ed25519)", err)
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("ssh key %s is protected by a passphrase: use a deploy key without one", cfg.SSHKeyFile)
		}
		return nil, fmt.Errorf("ssh key %s cannot be read: %w: give a private key file (e.g. made by ssh-keygen -t ed25519)", cfg.SSHKeyFile, err)
	}
	keys := &gitssh.PublicKeys{User: user, Signer: signer}
	keys.HostKeyCallbackHelper = helper
	return keys, nil
}

// hostKeyCheck loads known_hosts (default ~/.ssh/known_hosts) and says how to
// fill it when it is missing.
func hostKeyCheck(file, host, hostPort string) (gitssh.HostKeyCallbackHelper, error) {
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return gitssh.HostKeyCallbackHelper{}, fmt.Errorf("no known_hosts file given and no home directory (%v): set the source's known_hosts file", err)
		}
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	if _, err := os.Stat(file); err != nil {
		return gitssh.HostKeyCallbackHelper{}, fmt.Errorf(
			"no known_hosts file at %s to check the host key of %s: run `ssh-keyscan %s >> %s` and compare the fingerprint with the one your git host publishes, or set the source's known_hosts file",
			file, host, host, file)
	}
	db, err := gitssh.NewKnownHostsDb(file)
	if err != nil {
		return gitssh.HostKeyCallbackHelper{}, fmt.Errorf("reading known_hosts file %s: %w", file, err)
	}
	return gitssh.HostKeyCallbackHelper{
		HostKeyCallback:   db.HostKeyCallback(),
		HostKeyAlgorithms: db.HostKeyAlgorithms(hostPort),
	}, nil
}
