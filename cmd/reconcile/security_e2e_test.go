package main

// End-to-end test of securityContext on real Podman: pods committed to git
// run `testprog security`, which prints its user, groups, capabilities,
// no_new_privs and seccomp mode, and tries writes and reads; the test reads
// that through `reconcile logs`.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

const testprogImage = "localhost/reconcile-testprog:v1"

var testprogOnce struct {
	sync.Once
	err error
}

// buildTestprog builds agent/testdata/testprog FROM scratch into the e2e
// Podman storage (the demo image has no way to print its identity).
func buildTestprog(t *testing.T) {
	t.Helper()
	testprogOnce.Do(func() {
		ctx := filepath.Join(env.dir, "testprog")
		os.MkdirAll(ctx, 0o755)
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(ctx, "testprog"), "../../agent/testdata/testprog")
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := build.CombinedOutput(); err != nil {
			testprogOnce.err = fmt.Errorf("build testprog: %v\n%s", err, out)
			return
		}
		os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte("FROM scratch\nCOPY testprog /testprog\nENTRYPOINT [\"/testprog\"]\n"), 0o644)
		cmd := exec.Command("podman", append(append([]string{}, env.podman...), "build", "-q", "-t", testprogImage, ctx)...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(env.dir, "containers.conf"))
		if out, err := cmd.CombinedOutput(); err != nil {
			testprogOnce.err = fmt.Errorf("podman build testprog: %v\n%s", err, out)
		}
	})
	if testprogOnce.err != nil {
		t.Fatal(testprogOnce.err)
	}
}

// securityPod is a Pod running `testprog security ARGS`; podSC and
// containerSC are flow-style YAML maps ("" = none), podExtra is added to the
// pod's spec, containerExtra to the container.
func securityPod(name, podSC, containerSC, podExtra, containerExtra string, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: e2e}\nspec:\n  restartPolicy: Never\n", name)
	if podSC != "" {
		fmt.Fprintf(&b, "  securityContext: %s\n", podSC)
	}
	b.WriteString(podExtra)
	fmt.Fprintf(&b, "  containers:\n  - name: main\n    image: %s\n    imagePullPolicy: Never\n    args: [security", testprogImage)
	for _, a := range args {
		fmt.Fprintf(&b, ", %q", a)
	}
	b.WriteString("]\n")
	if containerSC != "" {
		fmt.Fprintf(&b, "    securityContext: %s\n", containerSC)
	}
	b.WriteString(containerExtra)
	return b.String()
}

// securityReport waits for a pod's container to have printed its report and
// returns it.
func (c *cluster) securityReport(pod, container string) string {
	var out string
	c.eventually(90*time.Second, pod+" printed its security report", func() error {
		var err error
		out, err = c.run("logs", pod, "-n", "e2e", "-c", container)
		if err != nil || !strings.Contains(out, "security: done") {
			p, _ := c.pod(pod)
			return fmt.Errorf("logs %q %v; status %+v", out, err, p.Status.ContainerStatuses)
		}
		return nil
	})
	return out
}

// reportLine returns the report's line starting with prefix.
func reportLine(report, prefix string) string {
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(l, prefix))
		}
	}
	return "(no line " + prefix + ")"
}

// sortedIDs sorts the groups of a report's "uid=… gid=… groups=a,b" line.
func sortedIDs(line string) string {
	head, groups, ok := strings.Cut(line, "groups=")
	if !ok {
		return line
	}
	gs := strings.Split(groups, ",")
	slices.Sort(gs)
	return head + "groups=" + strings.Join(gs, ",")
}

// ownCapEff is the test process's (root's) effective capability set: what a
// privileged container gets too.
func ownCapEff(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	return reportLine(string(b), "CapEff:")
}

func TestE2ESecurityContext(t *testing.T) {
	needE2E(t)
	buildTestprog(t)
	files := map[string]string{
		"namespace.yaml": e2eNamespace,
		"ids.yaml": securityPod("ids", "{runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000}", "",
			"  volumes: [{name: scratch, emptyDir: {}}]\n  initContainers:\n  - {name: init, image: "+testprogImage+", imagePullPolicy: Never, args: [security, \"write:/data/from-init\", exit],\n     securityContext: {runAsUser: 1234}, volumeMounts: [{name: scratch, mountPath: /data}]}\n",
			"    volumeMounts: [{name: scratch, mountPath: /data}]\n", "write:/data/f", "read:/proc/timer_list"),
		"hardened.yaml": securityPod("hardened", "{seccompProfile: {type: RuntimeDefault}}",
			"{readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_ADMIN]}}", "", "",
			"write:/rootfile"),
		"dropone.yaml":    securityPod("dropone", "", "{capabilities: {drop: [CHOWN]}}", "", ""),
		"privileged.yaml": securityPod("privileged", "", "{privileged: true}", "", ""),
		"unmasked.yaml":   securityPod("unmasked", "", "{procMount: Unmasked}", "", "", "read:/proc/timer_list"),
		"sysctl.yaml": securityPod("sysctl", "{sysctls: [{name: net.ipv4.tcp_keepalive_time, value: \"600\"}]}", "", "", "",
			"read:/proc/sys/net/ipv4/tcp_keepalive_time"),
		"nonroot.yaml": securityPod("nonroot", "{runAsNonRoot: true}", "", "", ""),
		"claim.yaml": securityPod("claim", "{runAsUser: 1000, fsGroup: 2500, fsGroupChangePolicy: OnRootMismatch}", "",
			fmt.Sprintf("  volumes: [{name: data, persistentVolumeClaim: {claimName: sec-claim-%d}}]\n", os.Getpid()),
			"    volumeMounts: [{name: data, mountPath: /data}]\n", "write:/data/f"),
	}
	c := newCluster(t, files)

	t.Run("runAsUser, runAsGroup, supplementalGroups and fsGroup are the process's ids; fsGroup owns the emptyDir", func(t *testing.T) {
		r := c.securityReport("ids", "main")
		// As `id -G` under Kubernetes: the primary group, supplementalGroups and fsGroup.
		if got := sortedIDs(reportLine(r, "uid=")); got != "1000 gid=3000 groups=2000,3000,4000" {
			t.Errorf("ids: %q, want uid 1000, gid 3000, groups 3000, 4000 and 2000 (fsGroup)\n%s", got, r)
		}
		if got := reportLine(r, "write /data/f:"); got != "ok gid=2000" {
			t.Errorf("a file created in the emptyDir: %q, want group 2000 (fsGroup, setgid directory)", got)
		}
		if got := reportLine(r, "Seccomp:"); got != "0" {
			t.Errorf("no seccompProfile: Seccomp %q, want 0 (Kubernetes' default, Unconfined)", got)
		}
		if got := reportLine(r, "NoNewPrivs:"); got != "0" {
			t.Errorf("NoNewPrivs %q, want 0 without allowPrivilegeEscalation: false", got)
		}
		if got := reportLine(r, "read /proc/timer_list:"); !strings.HasPrefix(got, "0 bytes") {
			t.Errorf("procMount Default: /proc/timer_list %q, want masked (empty)", got)
		}
		if got := reportLine(c.securityReport("claim", "main"), "write /data/f:"); got != "ok gid=2500" {
			t.Errorf("a file created by user 1000 in a claim volume: %q, want group 2500 (fsGroup)", got)
		}
		init := c.securityReport("ids", "init")
		if got := sortedIDs(reportLine(init, "uid=")); got != "1234 gid=3000 groups=2000,3000,4000" {
			t.Errorf("init container: %q, want its own runAsUser 1234 with the pod's groups", got)
		}
		if got := reportLine(init, "write /data/from-init:"); got != "ok gid=2000" {
			t.Errorf("init container's file: %q, want group 2000", got)
		}
	})

	t.Run("read-only root, no_new_privs, RuntimeDefault seccomp, capabilities", func(t *testing.T) {
		r := c.securityReport("hardened", "main")
		if got := reportLine(r, "write /rootfile:"); !strings.Contains(got, "read-only file system") {
			t.Errorf("write to the read-only root: %q, want refused", got)
		}
		if got := reportLine(r, "NoNewPrivs:"); got != "1" {
			t.Errorf("allowPrivilegeEscalation false: NoNewPrivs %q, want 1", got)
		}
		if got := reportLine(r, "Seccomp:"); got != "2" {
			t.Errorf("RuntimeDefault: Seccomp %q, want 2 (filter)", got)
		}
		if got := reportLine(r, "CapEff:"); got != "0000000000001000" {
			t.Errorf("drop ALL, add NET_ADMIN: CapEff %q, want only CAP_NET_ADMIN (bit 12)", got)
		}
		drop := c.securityReport("dropone", "main")
		if caps, err := strconv.ParseUint(reportLine(drop, "CapEff:"), 16, 64); err != nil || caps == 0 || caps&1 != 0 {
			t.Errorf("drop CHOWN: CapEff %q, want Podman's default set without bit 0 (CAP_CHOWN)", reportLine(drop, "CapEff:"))
		}
	})

	t.Run("privileged gets every capability and no seccomp filter", func(t *testing.T) {
		r := c.securityReport("privileged", "main")
		if got, want := reportLine(r, "CapEff:"), ownCapEff(t); got != want {
			t.Errorf("privileged: CapEff %q, want the host root's %q", got, want)
		}
		if got := reportLine(r, "Seccomp:"); got != "0" {
			t.Errorf("privileged: Seccomp %q, want 0", got)
		}
	})

	t.Run("procMount Unmasked leaves /proc whole", func(t *testing.T) {
		r := c.securityReport("unmasked", "main")
		if got := reportLine(r, "read /proc/timer_list:"); strings.HasPrefix(got, "0 bytes") || strings.Contains(got, "error") {
			t.Errorf("Unmasked: /proc/timer_list %q, want its content", got)
		}
	})

	t.Run("pod sysctls are set in the pod's namespaces", func(t *testing.T) {
		r := c.securityReport("sysctl", "main")
		if got := reportLine(r, "read /proc/sys/net/ipv4/tcp_keepalive_time:"); got != "4 bytes: 600" {
			t.Errorf("net.ipv4.tcp_keepalive_time: %q, want 600", got)
		}
	})

	t.Run("runAsNonRoot on a root image: CreateContainerConfigError, not running", func(t *testing.T) {
		const want = "container has runAsNonRoot and image will run as root"
		c.eventually(90*time.Second, "nonroot waits with CreateContainerConfigError", func() error {
			p, _ := c.pod("nonroot")
			w := containerStatus(p).State.Waiting
			if w == nil || w.Reason != "CreateContainerConfigError" || !strings.Contains(w.Message, want) {
				return fmt.Errorf("status %+v", p.Status.ContainerStatuses)
			}
			if !hasEvent(c.events("nonroot"), "Failed", want) {
				return fmt.Errorf("no Failed event with %q", want)
			}
			return nil
		})
		p, _ := c.pod("nonroot")
		if p.Status.Phase == corev1.PodRunning || containerStatus(p).State.Running != nil {
			t.Errorf("nonroot: phase %s, state %+v; want not running", p.Status.Phase, containerStatus(p).State)
		}
	})

	t.Run("Localhost seccomp profiles come from DATA/agent/seccomp; a missing one is a status error", func(t *testing.T) {
		dir := filepath.Join(c.data, "agent", "seccomp", "profiles")
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "allow.json"), []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		c.commit("localhost seccomp profiles", map[string]string{
			"local.yaml":   securityPod("local", "{seccompProfile: {type: Localhost, localhostProfile: profiles/allow.json}}", "", "", ""),
			"missing.yaml": securityPod("missing", "", "{seccompProfile: {type: Localhost, localhostProfile: profiles/missing.json}}", "", ""),
		})
		r := c.securityReport("local", "main")
		if got := reportLine(r, "Seccomp:"); got != "2" {
			t.Errorf("Localhost profile: Seccomp %q, want 2", got)
		}
		c.eventually(90*time.Second, "missing waits with CreateContainerConfigError", func() error {
			p, _ := c.pod("missing")
			w := containerStatus(p).State.Waiting
			if w == nil || w.Reason != "CreateContainerConfigError" || !strings.Contains(w.Message, "seccomp profile") {
				return fmt.Errorf("status %+v", p.Status.ContainerStatuses)
			}
			return nil
		})
	})
}
