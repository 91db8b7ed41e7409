package clientconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/fileutil"
)

// APIVersion and Kind head every file.
const (
	APIVersion = "reconcile.dev/v1"
	Kind       = "Config"
)

// Config is one client configuration.
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Servers are the controller's API URLs (https://127.0.0.1:7420); a
	// client uses the first (several once there are several servers).
	Servers []string `json:"servers"`
	// Token is the bearer token sent on every request (the admin token;
	// people and nodes use client certificates instead).
	Token string `json:"token,omitempty"`
	// CertificateAuthority is the cluster CA (PEM) that the server's
	// certificate must chain to; with https:// servers and no CA the client
	// refuses to connect rather than trust the system roots.
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	// ClientCertificate and ClientKey (PEM) are this client's identity
	// (pki.NodeSubject, pki.UserSubject).
	ClientCertificate string `json:"clientCertificate,omitempty"`
	ClientKey         string `json:"clientKey,omitempty"`
	// GeneratedFrom names the admin.conf a user's copy was written from,
	// so a restart may refresh a copy it wrote itself (a new token after a
	// lost data directory) but never one the user wrote.
	GeneratedFrom string `json:"generatedFrom,omitempty"`
}

// New returns an admin configuration for servers and token.
func New(token string, servers ...string) *Config {
	return &Config{APIVersion: APIVersion, Kind: Kind, Servers: servers, Token: token}
}

// Server is the first server URL, "" when there is none.
func (c *Config) Server() string {
	if c == nil || len(c.Servers) == 0 {
		return ""
	}
	return c.Servers[0]
}

// Parse decodes a configuration; path is for messages only.
func Parse(path string, b []byte) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("client config %s: %w", path, err)
	}
	if c.Kind != Kind || c.APIVersion != APIVersion {
		return nil, fmt.Errorf("client config %s: apiVersion %q kind %q, want %s %s", path, c.APIVersion, c.Kind, APIVersion, Kind)
	}
	for _, s := range c.Servers {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			return nil, fmt.Errorf("client config %s: server %q is not an http:// or https:// URL", path, s)
		}
	}
	return &c, nil
}

// Load reads a configuration file. A missing file is an error wrapping
// fs.ErrNotExist; an unreadable one says so (it is mode 0600: another
// user's configuration cannot be read, by design).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client config: %w", err)
	}
	return Parse(path, b)
}

// Write writes c to path with mode 0600, creating the parent directory
// with mode 0700; the file is replaced atomically (a reader never sees half
// of it).
func Write(path string, c *Config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := fileutil.WriteAtomic(path, b, 0o600); err != nil {
		return fmt.Errorf("client config: %w", err)
	}
	return nil
}

// WriteUserCopy writes an admin configuration to the user's path unless a
// configuration is already there that this admin.conf (from) did not
// write: a user's own file is never replaced. It reports whether it wrote.
func WriteUserCopy(path, from string, c *Config) (bool, error) {
	if old, err := Load(path); err == nil {
		if old.GeneratedFrom != from {
			return false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Lstat(path); statErr == nil {
			return false, nil // there is a file we cannot read or parse: the user's, leave it
		}
		return false, err
	}
	cp := *c
	cp.GeneratedFrom = from
	return true, Write(path, &cp)
}

// UserPath is ~/.config/reconcile/config ($XDG_CONFIG_HOME/reconcile/config
// when that is set).
func UserPath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory: %w (set HOME, or pass --config-file)", err)
	}
	return filepath.Join(d, "reconcile", "config"), nil
}

// EnvConfig names the environment variable with a configuration file path.
const EnvConfig = "RECONCILE_CONFIG"

// Find picks the configuration file as the CLI does: flag, then
// $RECONCILE_CONFIG, then UserPath. explicit is true for the first two: a
// file named explicitly must exist; the user's default may be absent.
func Find(flag string) (path string, explicit bool, err error) {
	if flag != "" {
		return flag, true, nil
	}
	if p := os.Getenv(EnvConfig); p != "" {
		return p, true, nil
	}
	p, err := UserPath()
	return p, false, err
}

// LoadFound loads what Find found; an absent default file gives (nil, nil).
func LoadFound(path string, explicit bool) (*Config, error) {
	c, err := Load(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return c, err
}
