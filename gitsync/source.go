package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reconcile-dev/reconcile/schema"
)

// MaxFileSize is the largest blob whose content a Snapshot carries. Larger
// files are listed with their Size and a nil Data so that package schema can
// reject them by name without this package ever holding them in memory.
const MaxFileSize = schema.MaxFileSize

// DefaultPollInterval is how often a remote source is polled when
// Config.PollInterval is zero (Flux's default; Argo CD polls less often).
const DefaultPollInterval = 60 * time.Second

// Snapshot is the committed tree of a source at one commit.
type Snapshot struct {
	Source  string // Config.Name
	Commit  string // full commit hash
	Author  string // "Name <email>"
	Message string
	Time    time.Time     // commit time (committer date)
	Files   []schema.File // blobs under Config.Path, sorted by Path
	// ResolvedRef is the tag a semver range in Config.Ref chose; "" otherwise.
	ResolvedRef string
	// SignedBy names the trusted key that signed the commit (or tag) when the
	// source verifies signatures; "" otherwise.
	SignedBy string
}

// Config describes one git source.
type Config struct {
	Name           string        // source name; also the cache directory name for remote repos
	URL            string        // local path, file://, http(s)://, ssh:// or scp-like git@host:path
	Ref            string        // branch, tag, full or short commit hash; empty = HEAD
	Path           string        // sub-path inside the repo (for a local sub-directory: inside that directory)
	PollInterval   time.Duration // remote sources only; default DefaultPollInterval
	TokenFile      string        // https: file holding a token ("TOKEN", "user:TOKEN" or "Bearer TOKEN")
	SSHKeyFile     string        // ssh: private key file
	KnownHostsFile string        // ssh: known_hosts file; default ~/.ssh/known_hosts
	CacheDir       string        // remote sources: clones go to CacheDir/<Name>
	Verify         Verification  // signatures required before a commit is deployed; zero = off
}

// urlKind is how a source URL is reached.
type urlKind int

const (
	kindLocal urlKind = iota // a directory opened in place
	kindFile                 // file:// URL, cloned into the cache like a remote
	kindHTTP                 // http:// or https://
	kindSSH                  // ssh:// or scp-like user@host:path
)

func (k urlKind) String() string {
	return [...]string{"local directory", "file", "http", "ssh"}[k]
}

// scpLike matches git's scp-like syntax "[user@]host:path" (a colon before
// any slash); git uses the same rule to tell it from a local path.
var scpLike = regexp.MustCompile(`^(?:[^@/:]+@)?[^@/:]+:`)

func classifyURL(raw string) (urlKind, error) {
	switch {
	case raw == "":
		return 0, errors.New("source URL is empty: give a local directory inside a git repo, or a file://, https:// or ssh:// URL")
	case strings.HasPrefix(raw, "file://"):
		return kindFile, nil
	case strings.HasPrefix(raw, "https://"), strings.HasPrefix(raw, "http://"):
		return kindHTTP, nil
	case strings.HasPrefix(raw, "ssh://"), strings.HasPrefix(raw, "git+ssh://"):
		return kindSSH, nil
	case strings.Contains(raw, "://"):
		return 0, fmt.Errorf("source URL %q: unsupported scheme; use a local directory, file://, https:// or ssh://", raw)
	case scpLike.MatchString(raw):
		return kindSSH, nil
	}
	return kindLocal, nil
}

// Source fetches and watches one git source. Its methods are safe for
// concurrent use; fetches are serialised.
type Source struct {
	cfg  Config
	kind urlKind

	fetchMu sync.Mutex
	local   *localRepo  // kindLocal
	remote  *remoteRepo // every other kind
	blobs   *blobCache

	subsMu sync.Mutex
	subs   map[chan struct{}]struct{}
	// nextPoll is the UnixNano of the next poll of a remote source.
	nextPoll atomic.Int64
}

// New checks cfg and prepares a source. A local repo is opened now, so a
// wrong path fails here; a remote one is contacted only by Fetch.
func New(cfg Config) (*Source, error) {
	kind, err := classifyURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = nameFromURL(cfg.URL)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	cfg.Path, err = cleanSubPath(cfg.Path)
	if err != nil {
		return nil, err
	}
	if err := cfg.Verify.check(); err != nil {
		return nil, fmt.Errorf("source %q: %w", cfg.Name, err)
	}
	s := &Source{cfg: cfg, kind: kind, blobs: newBlobCache(), subs: map[chan struct{}]struct{}{}}
	if kind == kindLocal {
		s.local, err = openLocal(cfg.URL, cfg.Path)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if cfg.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("source %q: no CacheDir given and no user cache directory (%v): set CacheDir", cfg.Name, err)
		}
		cfg.CacheDir = filepath.Join(base, "reconcile", "git")
		s.cfg.CacheDir = cfg.CacheDir
	}
	auth, err := authFor(kind, cfg)
	if err != nil {
		return nil, err
	}
	s.remote = &remoteRepo{
		url:  cfg.URL,
		dir:  filepath.Join(cfg.CacheDir, dirName(cfg.Name)),
		auth: auth,
	}
	return s, nil
}

// Config returns the configuration with defaults applied.
func (s *Source) Config() Config { return s.cfg }

// Fetch reads the committed tree at the configured ref under the configured
// path, fetching from the remote first when the source is not local.
func (s *Source) Fetch(ctx context.Context) (*Snapshot, error) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	var (
		snap *Snapshot
		err  error
	)
	if s.local != nil {
		snap, err = s.local.snapshot(s.cfg.Ref, s.blobs, s.cfg.Verify)
	} else {
		snap, err = s.remote.fetch(ctx, s.cfg.Ref, s.cfg.Path, s.blobs, s.cfg.Verify)
	}
	var refused *UnverifiedError
	if errors.As(err, &refused) {
		refused.Commit.Source = s.cfg.Name
		return nil, refused
	}
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s.cfg.Name, err)
	}
	snap.Source = s.cfg.Name
	return snap, nil
}

// cleanSubPath normalises a sub-path to a slash-separated path relative to the
// repo ("" for the root), refusing paths that leave the repo.
func cleanSubPath(p string) (string, error) {
	p = filepath.ToSlash(filepath.Clean("/" + strings.TrimSpace(p)))
	p = strings.TrimPrefix(p, "/")
	if p == "." {
		p = ""
	}
	return p, nil
}

// nameFromURL gives a source without a name a readable one: the last path
// element of its URL without ".git".
func nameFromURL(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndexAny(u, "/:"); i >= 0 {
		u = u[i+1:]
	}
	u = strings.TrimSuffix(u, ".git")
	if u == "" || u == "." {
		return "default"
	}
	return u
}

var unsafeDirChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// dirName turns a source name into a single safe directory name.
func dirName(name string) string {
	d := unsafeDirChars.ReplaceAllString(name, "_")
	if d == "" || d == "." || d == ".." {
		d = "_" + d
	}
	return d
}
