package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/schema"
)

// controllerFlags configure the controller, alone or inside `up`.
type controllerFlags struct {
	repo, branch, path, name string
	config                   string // a controller config file declaring the sources (instead of --repo)
	data, listen             string
	poll                     time.Duration
	tokenFile, sshKey        string
	noPrune, allowEmpty      bool
	clusterID                string // --cluster-id (reconcile/clusterid)
	limits                   limitFlags
}

func (f *controllerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "desired-state git repo: a local directory inside a git repo, file://, https:// or ssh:// URL (or declare sources with --config)")
	fl.StringVar(&f.branch, "branch", "", "branch, tag or commit to deploy (default: the repo's HEAD)")
	fl.StringVar(&f.path, "path", "", "sub-directory of the repo holding the manifests")
	fl.StringVar(&f.name, "source-name", "", "name of the source (default: derived from the repo)")
	fl.StringVar(&f.data, "data", defaultDataDir(), "data directory: the Badger store, the API token, git caches")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:7420", "API server address; every request needs the token in DATA/api-token (DATA/admin.conf, which the CLI reads)")
	fl.DurationVar(&f.poll, "poll", gitsync.DefaultPollInterval, "poll interval for remote repos (local repos are watched and need none)")
	fl.StringVar(&f.tokenFile, "git-token-file", "", "https: file holding the access token")
	fl.StringVar(&f.sshKey, "ssh-key-file", "", "ssh: private key file")
	fl.BoolVar(&f.noPrune, "no-prune", false, "never delete objects that vanished from git")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "let a commit with no objects prune everything the source created")
	fl.StringVar(&f.config, "config", "", "controller config file (YAML or CUE) declaring the git sources; see examples/controller.yaml")
	fl.StringVar(&f.clusterID, "cluster-id", "", "the cluster's ID, the reconcile.cluster label on its Podman objects (default: kept in DATA/cluster-id, first made from the machine ID and the data directory's path)")
	f.limits.register(fl)
}

func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/reconcile"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "reconcile")
	}
	return ".reconcile"
}

func newControllerCmd() *cobra.Command {
	f := &controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller --repo PATH|URL",
		Short: "Run the controller: git sync, validation, the store, controllers, scheduler and API server",
		Long: `Run the control plane alone; node agents connect to it with 'reconcile agent --server URL'.
Use 'reconcile up' to run the controller and a local agent in one process.`,
		Example: `  reconcile controller --repo /srv/desired-state --listen 0.0.0.0:7420`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runController(cmd.Context(), f, newLogger(), nil)
		},
	}
	f.register(cmd)
	return cmd
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// runController runs the control plane until ctx ends. extra, when set,
// runs alongside it (the local agent of `up`) once the API server listens.
func runController(ctx context.Context, f *controllerFlags, log *slog.Logger, extra func(ctx context.Context) error) error {
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	token, err := apiToken(f.data)
	if err != nil {
		return err
	}
	if err := writeAdminConfig(f.data, f.listen, token, log); err != nil {
		return err
	}
	limits, err := f.limits.resolve(f.config)
	if err != nil {
		return err
	}
	st, err := openStore(f.data, log, limits.MaxObjectBytes, limits.MaxCommitObjects)
	if err != nil {
		return err
	}
	defer st.Close()
	cluster, err := clusterid.LoadOrCreate(f.data, st, f.clusterID, log)
	if err != nil {
		return err
	}
	id, err := secrets.LoadOrCreateIdentity(f.data)
	if err != nil {
		return err
	}
	v, err := schema.NewValidator()
	if err != nil {
		return err
	}
	v.SetLimits(limits)
	cfgs, err := sourceConfigs(f)
	if err != nil {
		return err
	}
	srcs, err := sources.New(st, v, log, cfgs)
	if err != nil {
		return err
	}
	srcs.SetIdentities(id)
	clock, resync, err := testClock()
	if err != nil {
		return err
	}
	if clock != nil {
		log.Warn("TEST ONLY: Jobs and CronJobs run on an injected clock ("+testClockEnv+")", "now", clock())
	}
	// The token is required on every address, loopback included: any local
	// user can reach 127.0.0.1 (DATA/admin.conf, mode 0600, has it for root).
	srv := &apiserver.Server{Store: st, Syncer: srcs, Log: log, Recipient: id.Recipient().String(), Token: token}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.ListenAndServe(ctx, f.listen) })
	g.Go(func() error {
		return controllers.NewManager(st, controllers.Options{Log: log, BatchNow: clock, Resync: resync}).Run(ctx)
	})
	g.Go(func() error { return srcs.Run(ctx) })
	if extra != nil {
		g.Go(func() error { return extra(ctx) })
	}
	log.Info("controller running", "cluster", cluster, "listen", f.listen, "repo", f.repo, "data", f.data,
		"secrets-recipient", id.Recipient().String()) // what `reconcile secret encrypt --recipient` needs
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// apiToken returns the bearer token in the data directory, creating it at
// first start.
func apiToken(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	p := filepath.Join(dir, "api-token")
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write API token: %w", err)
	}
	return tok, nil
}
