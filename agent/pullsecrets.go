package agent

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
)

// RegistryAuth is one credential for one registry, as a pull passes it to
// Podman (the X-Registry-Auth of the pull request).
type RegistryAuth struct {
	Username, Password string
	// Registry is the key of the dockerconfig entry it came from and Secret
	// the Secret holding it: for messages, never for matching.
	Registry, Secret string
}

// dockerConfigEntry is one entry of a .dockerconfigjson "auths" map or of a
// .dockercfg file. "auth" is base64 of "user:password" and wins over the
// separate fields, as in the kubelet's credentialprovider.
type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Auth     string `json:"auth,omitempty"`
	Email    string `json:"email,omitempty"`
}

// parseDockerConfig reads the registry credentials of a pull Secret:
// type kubernetes.io/dockerconfigjson with key .dockerconfigjson
// ({"auths": {registry: entry}}), or kubernetes.io/dockercfg with key
// .dockercfg ({registry: entry}). It returns a per-secret error for any
// other type or a malformed value; the caller reports it and pulls on.
func parseDockerConfig(s *corev1.Secret) ([]RegistryAuth, error) {
	var key string
	switch s.Type {
	case corev1.SecretTypeDockerConfigJson:
		key = corev1.DockerConfigJsonKey
	case corev1.SecretTypeDockercfg:
		key = corev1.DockerConfigKey
	default:
		return nil, fmt.Errorf("secret %s/%s has type %q; an image pull secret must be of type %s (key %s) or %s (key %s)",
			s.Namespace, s.Name, s.Type, corev1.SecretTypeDockerConfigJson, corev1.DockerConfigJsonKey,
			corev1.SecretTypeDockercfg, corev1.DockerConfigKey)
	}
	data, ok := secretValue(s, key)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s of type %s has no key %s", s.Namespace, s.Name, s.Type, key)
	}
	entries, err := decodeDockerConfig(data, key == corev1.DockerConfigJsonKey)
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: key %s: %v", s.Namespace, s.Name, key, err)
	}
	out := make([]RegistryAuth, 0, len(entries))
	for reg, e := range entries {
		a := RegistryAuth{Username: e.Username, Password: e.Password, Registry: reg, Secret: s.Namespace + "/" + s.Name}
		if e.Auth != "" {
			user, pass, err := decodeAuthField(e.Auth)
			if err != nil {
				return nil, fmt.Errorf("secret %s/%s: key %s: registry %q: %v", s.Namespace, s.Name, key, reg, err)
			}
			a.Username, a.Password = user, pass
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Registry < out[j].Registry })
	return out, nil
}

// decodeDockerConfig parses the JSON of either format.
func decodeDockerConfig(data []byte, wrapped bool) (map[string]dockerConfigEntry, error) {
	if wrapped {
		var cfg struct {
			Auths map[string]dockerConfigEntry `json:"auths"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("not a docker config.json (want {\"auths\": {\"registry\": {\"username\": …, \"password\": …}}}): %v", err)
		}
		return cfg.Auths, nil
	}
	var cfg map[string]dockerConfigEntry
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("not a .dockercfg (want {\"registry\": {\"username\": …, \"password\": …}}): %v", err)
	}
	return cfg, nil
}

func decodeAuthField(auth string) (string, string, error) {
	b, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		return "", "", fmt.Errorf("field auth is not base64: %v", err)
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", fmt.Errorf("field auth does not decode to user:password")
	}
	return user, strings.Trim(pass, "\x00"), nil
}

// dockerHubKeys are the registry names people write for Docker Hub; an
// image without a registry (nginx, library/nginx) matches any of them.
var dockerHubKeys = map[string]bool{"index.docker.io": true, "docker.io": true, "registry-1.docker.io": true}

// matchPullCredentials returns the credentials that apply to image, most
// specific first, as the kubelet's keyring does: an entry's key is
// host[:port][/path] (an https:// or http:// scheme and a /v1/ or /v2/
// prefix are ignored); the host matches part by part with globs (*.example.com
// matches a.example.com but not a.b.example.com nor example.com), the port
// must be equal and the path must be a prefix of the image's repository
// path. The kubelet tries each in turn and, when none matches, pulls
// without credentials.
func matchPullCredentials(image string, auths []RegistryAuth) []RegistryAuth {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil
	}
	host, path := reference.Domain(named), reference.Path(named)
	type scored struct {
		a   RegistryAuth
		key string
	}
	var hits []scored
	for _, a := range auths {
		key, ok := normalizeRegistryKey(a.Registry)
		if !ok {
			continue
		}
		if registryKeyMatches(key, host, path) {
			hits = append(hits, scored{a, key})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return len(hits[i].key) > len(hits[j].key) })
	out := make([]RegistryAuth, len(hits))
	for i, h := range hits {
		out[i] = h.a
	}
	return out
}

// normalizeRegistryKey turns a dockerconfig key into host[:port][/path]
// without a trailing slash.
func normalizeRegistryKey(key string) (string, bool) {
	v := key
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", false
	}
	p := u.Path
	if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v2/") || p == "/v1" || p == "/v2" {
		p = p[3:]
	}
	return strings.ToLower(u.Host) + strings.TrimSuffix(p, "/"), true
}

func registryKeyMatches(key, host, path string) bool {
	keyHost, keyPath, _ := strings.Cut(key, "/")
	if dockerHubKeys[keyHost] && host == "docker.io" {
		keyHost = host
	}
	kh, kp := splitHostPort(keyHost)
	th, tp := splitHostPort(strings.ToLower(host))
	if kp != tp {
		return false
	}
	kparts, tparts := strings.Split(kh, "."), strings.Split(th, ".")
	if len(kparts) != len(tparts) {
		return false
	}
	for i := range kparts {
		if ok, err := filepath.Match(kparts[i], tparts[i]); err != nil || !ok {
			return false
		}
	}
	if keyPath == "" {
		return true
	}
	return strings.HasPrefix(path, keyPath)
}

func splitHostPort(hostport string) (string, string) {
	if i := strings.LastIndex(hostport, ":"); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i], hostport[i+1:]
	}
	return hostport, ""
}
