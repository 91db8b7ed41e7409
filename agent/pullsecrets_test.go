package agent

import (
	"encoding/base64"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pullSecret(name string, typ corev1.SecretType, key, value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Type: typ,
		Data: map[string][]byte{key: []byte(value)}}
}

func TestMatchPullCredentials(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("fromauth:p:w"))
	cfg := `{"auths": {
		"127.0.0.1:5000": {"username": "loop", "password": "lp"},
		"https://index.docker.io/v1/": {"username": "hub", "password": "hp"},
		"registry.example.com": {"auth": "` + b64 + `"},
		"registry.example.com/team": {"username": "team", "password": "tp"},
		"*.corp.example": {"username": "wild", "password": "wp"},
		"http://plain.example:8080/v2/": {"username": "plain", "password": "pp"}
	}}`
	auths, err := parseDockerConfig(pullSecret("regcred", corev1.SecretTypeDockerConfigJson, ".dockerconfigjson", cfg))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		image string
		want  string // usernames in order, comma separated
	}{
		{"127.0.0.1:5000/hello:v1", "loop"},
		{"127.0.0.1:5001/hello:v1", ""},      // the port must be equal
		{"127.0.0.1/hello:v1", ""},           // no port is not port 5000
		{"nginx", "hub"},                     // Docker Hub, no registry written
		{"docker.io/library/nginx:1", "hub"}, // Docker Hub, written out
		{"registry.example.com/app:1", "fromauth"},
		{"registry.example.com/team/app:1", "team,fromauth"}, // most specific first
		{"a.corp.example/x", "wild"},
		{"a.b.corp.example/x", ""}, // a glob is one dot-separated part
		{"corp.example/x", ""},
		{"plain.example:8080/x", "plain"}, // scheme and /v2/ ignored
		{"other.example/x", ""},
		{"UPPER/invalid", ""}, // not a valid reference: no credentials, the pull reports the error
	}
	for _, c := range cases {
		var got []string
		for _, a := range matchPullCredentials(c.image, auths) {
			got = append(got, a.Username)
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: got %q, want %q", c.image, strings.Join(got, ","), c.want)
		}
	}
	if auths[0].Secret != "ns/regcred" {
		t.Errorf("secret not recorded: %+v", auths[0])
	}
	for _, a := range auths {
		if a.Username == "fromauth" && a.Password != "p:w" {
			t.Errorf("auth field: password %q, want p:w (split at the first colon)", a.Password)
		}
	}
}

func TestParseDockerConfigErrors(t *testing.T) {
	cases := []struct {
		name   string
		secret *corev1.Secret
		want   string
	}{
		{"opaque", pullSecret("s", corev1.SecretTypeOpaque, ".dockerconfigjson", `{}`), `has type "Opaque"`},
		{"missing key", pullSecret("s", corev1.SecretTypeDockerConfigJson, "config.json", `{}`), "has no key .dockerconfigjson"},
		{"not json", pullSecret("s", corev1.SecretTypeDockerConfigJson, ".dockerconfigjson", `{"auths":`), "not a docker config.json"},
		{"bad auth", pullSecret("s", corev1.SecretTypeDockerConfigJson, ".dockerconfigjson", `{"auths":{"r":{"auth":"!!"}}}`), "not base64"},
		{"auth without colon", pullSecret("s", corev1.SecretTypeDockercfg, ".dockercfg",
			`{"r":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("nocolon"))+`"}}`), "user:password"},
	}
	for _, c := range cases {
		_, err := parseDockerConfig(c.secret)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// The legacy format works too.
	a, err := parseDockerConfig(pullSecret("s", corev1.SecretTypeDockercfg, ".dockercfg", `{"r.example":{"username":"u","password":"p"}}`))
	if err != nil || len(a) != 1 || a[0].Username != "u" {
		t.Errorf("dockercfg: %+v %v", a, err)
	}
}

// FuzzDockerConfig feeds arbitrary Secret bytes through parsing and matching:
// neither may panic, and every credential parsed must come from the Secret.
func FuzzDockerConfig(f *testing.F) {
	f.Add([]byte(`{"auths":{"127.0.0.1:5000":{"username":"u","password":"p"}}}`), "127.0.0.1:5000/a:b")
	f.Add([]byte(`{"auths":{"*.example.com/x":{"auth":"dTpw"}}}`), "a.example.com/x/y")
	f.Add([]byte(`{"auths":{"https://[::1]:80/v2/":{}}}`), "nginx")
	f.Add([]byte(`{"auths":null}`), "")
	f.Add([]byte(`[1,2]`), "x")
	f.Fuzz(func(t *testing.T, data []byte, image string) {
		for _, typ := range []corev1.SecretType{corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg} {
			key := corev1.DockerConfigJsonKey
			if typ == corev1.SecretTypeDockercfg {
				key = corev1.DockerConfigKey
			}
			auths, err := parseDockerConfig(pullSecret("s", typ, key, string(data)))
			if err != nil {
				continue
			}
			for _, a := range matchPullCredentials(image, auths) {
				if a.Secret != "ns/s" {
					t.Fatalf("credential from nowhere: %+v", a)
				}
			}
		}
	})
}
