package agent

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// fakeRuntime is an in-memory Runtime for tests of the agent loop: containers
// run as soon as they are created and exit when a test says so.
type fakeRuntime struct {
	mu      sync.Mutex
	now     func() time.Time
	seq     int
	pods    map[string]*ObservedPod // by pod ID
	images  map[string]bool
	calls   []string
	removed chan string
	// execCode is what Exec returns, by container ID (default 0).
	execCode map[string]int
	// registryOnly images are in the fake registry but not yet local;
	// registryAuth is the credential the registry wants for an image.
	registryOnly map[string]bool
	registryAuth map[string]RegistryAuth
	pulls        []string
}

func newFakeRuntime(now func() time.Time) *fakeRuntime {
	return &fakeRuntime{now: now, pods: map[string]*ObservedPod{}, images: map[string]bool{"demo:v1": true}, removed: make(chan string, 10), execCode: map[string]int{},
		registryOnly: map[string]bool{}, registryAuth: map[string]RegistryAuth{}}
}

func (f *fakeRuntime) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeRuntime) List(context.Context) ([]ObservedPod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ObservedPod
	for _, p := range f.pods {
		cp := *p
		cp.Containers = append([]ObservedContainer(nil), p.Containers...)
		out = append(out, cp)
	}
	return out, nil
}

func (f *fakeRuntime) CreatePod(_ context.Context, cfg PodConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("pod%d", f.seq)
	grace, _ := strconv.Atoi(cfg.Labels[LabelGrace])
	f.pods[id] = &ObservedPod{ID: id, Name: cfg.Name, Key: cfg.Labels[objects.LabelPodmanPod], UID: cfg.Labels[objects.LabelPodmanUID],
		PodSpec: cfg.Labels[LabelPodSpec], Created: f.now(), IP: fmt.Sprintf("10.88.0.%d", f.seq), Grace: time.Duration(grace) * time.Second}
	f.record("create-pod %s", cfg.Name)
	return id, nil
}

func (f *fakeRuntime) ImagePresent(_ context.Context, image string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.images[image] && !f.registryOnly[image], nil
}

// PullImage succeeds for the images the fake knows; registryAuth, when set
// for an image, is the only credential its registry accepts.
func (f *fakeRuntime) PullImage(_ context.Context, image string, auth *RegistryAuth) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls = append(f.pulls, image)
	if !f.images[image] {
		return fmt.Errorf("initializing source docker://%s: no registry", image)
	}
	if want, ok := f.registryAuth[image]; ok && (auth == nil || auth.Username != want.Username || auth.Password != want.Password) {
		return fmt.Errorf("initializing source docker://%s: reading manifest v1: unauthorized: authentication required", image)
	}
	delete(f.registryOnly, image)
	return nil
}

func (f *fakeRuntime) RunContainer(_ context.Context, cfg ContainerConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pods {
		if p.Name != cfg.Pod {
			continue
		}
		f.seq++
		attempt, _ := strconv.Atoi(cfg.Labels[LabelAttempt])
		c := ObservedContainer{ID: fmt.Sprintf("ctr%d", f.seq), Name: cfg.Labels[objects.LabelPodmanContainer], PodmanName: cfg.Name,
			Attempt: attempt, SpecHash: cfg.Labels[LabelSpecHash], Image: cfg.Image, ImageID: "sha256:" + cfg.Image,
			State: "running", Created: f.now(), StartedAt: f.now()}
		p.Containers = append(p.Containers, c)
		f.record("run %s", cfg.Name)
		return c.ID, nil
	}
	return "", withReason(ErrRunContainer, "no pod %s", cfg.Pod)
}

func (f *fakeRuntime) exit(id string, code int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pods {
		for i := range p.Containers {
			if p.Containers[i].ID == id {
				p.Containers[i].State, p.Containers[i].ExitCode, p.Containers[i].FinishedAt = "exited", code, f.now()
			}
		}
	}
}

func (f *fakeRuntime) StopContainer(_ context.Context, id string, _ time.Duration) error {
	f.exit(id, 137)
	f.mu.Lock()
	f.record("stop %s", id)
	f.mu.Unlock()
	return nil
}

func (f *fakeRuntime) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pods {
		for i, c := range p.Containers {
			if c.ID == id {
				p.Containers = append(p.Containers[:i], p.Containers[i+1:]...)
				f.record("remove %s", id)
				return nil
			}
		}
	}
	return nil
}

func (f *fakeRuntime) RemovePod(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.pods, id)
	f.record("remove-pod %s", id)
	f.removed <- id
	return nil
}

func (f *fakeRuntime) StopPod(_ context.Context, id string, grace time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pods[id]
	if p == nil {
		return nil
	}
	for i := range p.Containers {
		if p.Containers[i].Running() {
			p.Containers[i].State, p.Containers[i].ExitCode, p.Containers[i].FinishedAt = "exited", 143, f.now()
		}
	}
	f.record("stop-pod %s grace=%s", id, grace)
	return nil
}

func (f *fakeRuntime) Exec(_ context.Context, id string, cmd []string) (int, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.execCode[id], "", nil
}

func (f *fakeRuntime) Logs(_ context.Context, id string, _ LogOptions, w io.Writer) error {
	_, err := fmt.Fprintf(w, "log of %s\n", id)
	return err
}

// countPrefix counts the recorded calls starting with prefix.
func (f *fakeRuntime) countPrefix(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}
