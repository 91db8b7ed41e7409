package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/fileutil"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
)

// JoinFile keeps a join's answer (without the shared files) in the data
// directory until the member has started.
const JoinFile = "etcd-join.json"

// APITokenFile is the admin bearer token's file in the data directory
// (cmd/reconcile's apiToken).
const APITokenFile = "api-token"

// SharedFiles are the files every server of a control plane holds the
// same, relative to the data directory: what a joining server receives.
func SharedFiles() []string {
	return []string{filepath.Join("pki", pki.CACertFile), filepath.Join("pki", pki.CAKeyFile), APITokenFile, secrets.IdentityFile}
}

// joinState is JoinFile.
type joinState struct {
	MemberID       string   `json:"memberID"`
	InitialCluster string   `json:"initialCluster"`
	ClientURLs     []string `json:"clientURLs"`
}

// Bootstrap runs before the controller opens its PKI: with --join and no
// member yet, it asks the server for a member and writes the shared files
// and JoinFile. Nothing else does anything.
func Bootstrap(ctx context.Context, o Options) error {
	if o.Join == "" || etcdmember.HasMember(o.Data) {
		return nil
	}
	if err := o.defaults(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(o.Data, JoinFile)); err == nil {
		o.Log.Info("resuming a join: this server's member was added already", "file", filepath.Join(o.Data, JoinFile))
		return nil
	}
	if _, err := os.Stat(filepath.Join(credentials.PKIDir(o.Data), pki.CAKeyFile)); err == nil {
		return fmt.Errorf("--join: %s already holds a cluster CA: this data directory belongs to a controller already; give a fresh --data to join another control plane", o.Data)
	}
	cli, err := join.PinnedClient(ctx, o.Join, o.Token, o.Log)
	if err != nil {
		return err
	}
	mo := o.member(nil)
	out, err := cli.JoinServer(ctx, apitypes.ServerJoinRequest{Name: o.Name, PeerURL: mo.PeerURL()})
	if err != nil {
		return fmt.Errorf("--join %s: %w", o.Join, err)
	}
	if err := writeShared(o.Data, out.Files); err != nil {
		return err
	}
	b, err := json.Marshal(joinState{MemberID: out.MemberID, InitialCluster: out.InitialCluster, ClientURLs: out.ClientURLs})
	if err != nil {
		return err
	}
	o.Log.Info("joined the control plane: etcd member added", "server", o.Join, "name", o.Name, "member", out.MemberID)
	return fileutil.WriteAtomic(filepath.Join(o.Data, JoinFile), b, 0o600)
}

// writeShared writes the shared files of a join's answer; only the names
// SharedFiles lists, whatever else the answer holds.
func writeShared(data string, files map[string][]byte) error {
	want := SharedFiles()
	for _, name := range want {
		if _, ok := files[name]; !ok {
			return fmt.Errorf("--join: the server's answer lacks %s (is it an older version?)", name)
		}
	}
	for name, b := range files {
		if !slices.Contains(want, name) {
			continue
		}
		p := filepath.Join(data, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := fileutil.WriteAtomic(p, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// readShared reads the shared files to answer a join.
func readShared(data string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range SharedFiles() {
		b, err := os.ReadFile(filepath.Join(data, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing on this server: cannot admit a server without it", filepath.Join(data, name))
		} else if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

func readJoinState(data string) (*joinState, error) {
	b, err := os.ReadFile(filepath.Join(data, JoinFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var js joinState
	if err := json.Unmarshal(b, &js); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(data, JoinFile), err)
	}
	return &js, nil
}
