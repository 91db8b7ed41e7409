package sources

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestParseConfigYAMLAndCUE(t *testing.T) {
	yamlCfg := `
sources:
  - name: apps
    url: https://git.example.com/ops/apps.git
    ref: ">=1.2.0 <2.0.0"
    path: prod
    pollInterval: 30s
    minFetchInterval: 5s
    credentials: {tokenFile: secrets/token}
    namespace: apps
    webhook: {secretFile: /etc/reconcile/hook}
    verify:
      mode: tag
      openpgpKeys: [keys/release.asc]
      sshAllowedSigners: keys/allowed_signers
  - name: local
    url: ./desired
    prune: false
    allowEmpty: true
    drift: warn
`
	cueCfg := `
sources: [{
	name: "apps"
	url: "https://git.example.com/ops/apps.git"
	ref: ">=1.2.0 <2.0.0"
	path: "prod"
	pollInterval: "30s"
	minFetchInterval: "5s"
	credentials: tokenFile: "secrets/token"
	namespace: "apps"
	webhook: secretFile: "/etc/reconcile/hook"
	verify: {mode: "tag", openpgpKeys: ["keys/release.asc"], sshAllowedSigners: "keys/allowed_signers"}
}, {
	name: "local"
	url: "./desired"
	prune: false
	allowEmpty: true
	drift: "warn"
}]
`
	want := []Config{{
		Config: gitsync.Config{Name: "apps", URL: "https://git.example.com/ops/apps.git", Ref: ">=1.2.0 <2.0.0", Path: "prod",
			PollInterval: 30 * time.Second, TokenFile: "/etc/reconcile/secrets/token", CacheDir: "/cache",
			Verify: gitsync.Verification{Mode: gitsync.VerifyTag, OpenPGPKeyFiles: []string{"/etc/reconcile/keys/release.asc"}, SSHAllowedSignersFile: "/etc/reconcile/keys/allowed_signers"}},
		Prune: true, Namespace: "apps", WebhookSecretFile: "/etc/reconcile/hook", Drift: reconcile.DriftHeal,
		MinFetchInterval: 5 * time.Second,
	}, {
		Config: gitsync.Config{Name: "local", URL: "/etc/reconcile/desired", CacheDir: "/cache",
			Verify: gitsync.Verification{Mode: gitsync.VerifyOff}},
		AllowEmpty: true, Drift: reconcile.DriftWarn,
	}}
	for file, data := range map[string]string{"/etc/reconcile/controller.yaml": yamlCfg, "/etc/reconcile/controller.cue": cueCfg} {
		got, err := ParseConfig(file, []byte(data), "/cache")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", file, got, want)
		}
	}
}

func TestParseConfigErrorsGolden(t *testing.T) {
	in := filepath.Join("testdata", "bad-config.yaml")
	_, err := LoadConfig(in, "/cache")
	if err == nil {
		t.Fatal("a bad config was accepted")
	}
	got := err.Error() + "\n"
	testkit.GoldenString(t, filepath.Join("testdata", "bad-config.golden"), got)
	for _, line := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
		if !strings.HasPrefix(strings.TrimSpace(line), in+":") {
			t.Errorf("error without file:line:col: %s", line)
		}
	}
}

func TestParseConfigDuplicateNames(t *testing.T) {
	_, err := ParseConfig("c.yaml", []byte("sources:\n  - {name: a, url: /x}\n  - name: a\n    url: /y\n"), "")
	if err == nil || !strings.Contains(err.Error(), `c.yaml:3:5: sources[1].name: source "a" is already defined as sources[0]`) {
		t.Fatalf("duplicate names: %v", err)
	}
	_, err = ParseConfig("c.yaml", []byte("sources: []\n"), "")
	if err == nil {
		t.Fatal("a config without sources was accepted")
	}
}

func TestParseConfigMinFetchInterval(t *testing.T) {
	for in, want := range map[string]string{
		"soon": `sources[0].minFetchInterval: "soon" is not allowed here`,
		"10ms": `c.yaml:1:30: sources[0].minFetchInterval: "10ms" is not a duration between 100ms and 1h`,
		"2h":   `is not a duration between 100ms and 1h`,
		"1.5s": "",
	} {
		cfgs, err := ParseConfig("c.yaml", []byte(`sources: [{name: a, url: /x, minFetchInterval: "`+in+`"}]`+"\n"), "")
		if want == "" {
			if err != nil || cfgs[0].MinFetchInterval != 1500*time.Millisecond {
				t.Errorf("%s: %v %+v", in, err, cfgs)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("minFetchInterval %q: %v, want %q", in, err, want)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfgs, err := LoadConfig(filepath.Join("..", "..", "examples", "controller.yaml"), "/cache")
	if err != nil {
		t.Fatalf("examples/controller.yaml: %v", err)
	}
	if len(cfgs) != 3 || cfgs[0].Ref != ">=1.2.0 <2.0.0" || cfgs[0].Verify.Mode != gitsync.VerifyTag || cfgs[1].Verify.Mode != gitsync.VerifyHead {
		t.Errorf("examples/controller.yaml: %+v", cfgs)
	}
}

func TestParseConfigReportsOnlyUnknownFields(t *testing.T) {
	// With another error present, unknown fields are found by walking the
	// document: the optional fields of the schema must not be among them.
	_, err := ParseConfig("c.yaml", []byte("sources:\n  - name: A\n    url: /x\n    credentials: {tokenFile: t, sshKeyFile: k}\n    webhook: {secretFile: s}\n    verify: {mode: head, openpgpKeys: [a], sshAllowedSigners: x, bogus: 1}\n"), "")
	var errs ConfigErrors
	if !errors.As(err, &errs) || len(errs) != 2 || errs[1].Error() != "c.yaml:6:66: sources[0].verify.bogus: field not allowed" {
		t.Fatalf("errors: %v", err)
	}
}
