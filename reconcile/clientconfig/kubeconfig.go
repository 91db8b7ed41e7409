package clientconfig

import (
	"encoding/base64"
	"errors"
	"strings"

	"sigs.k8s.io/yaml"
)

// kubeconfig is the part of kubectl's config file (clientcmd/api/v1) a
// kubeconfig of one cluster, one user and one context needs.
type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
}

type namedCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData string `json:"certificate-authority-data,omitempty"`
	} `json:"cluster"`
}

type namedUser struct {
	Name string `json:"name"`
	User struct {
		ClientCertificateData string `json:"client-certificate-data,omitempty"`
		ClientKeyData         string `json:"client-key-data,omitempty"`
		Token                 string `json:"token,omitempty"`
	} `json:"user"`
}

type namedContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster string `json:"cluster"`
		User    string `json:"user"`
	} `json:"context"`
}

// Kubeconfig renders c as a kubeconfig for kubectl (`reconcile
// kubeconfig`): the first server, the cluster CA, and the client
// certificate and key or the bearer token of c, under the names cluster
// (the cluster and the context) and user. kubectl then reads the
// controller's read-only Kubernetes API with these credentials.
func (c *Config) Kubeconfig(cluster, user string) ([]byte, error) {
	if c.Server() == "" {
		return nil, errors.New("the client config names no server: pass --server or --config-file with the controller's DATA/admin.conf")
	}
	if c.ClientCertificate == "" && c.Token == "" {
		return nil, errors.New("the client config has neither a client certificate nor a token: kubectl would be refused (use the config `reconcile up` or `reconcile user create` wrote)")
	}
	k := kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: cluster}
	var cl namedCluster
	cl.Name = cluster
	cl.Cluster.Server = strings.TrimSuffix(c.Server(), "/")
	if c.CertificateAuthority != "" {
		cl.Cluster.CertificateAuthorityData = base64.StdEncoding.EncodeToString([]byte(c.CertificateAuthority))
	}
	var u namedUser
	u.Name = user
	if c.ClientCertificate != "" {
		u.User.ClientCertificateData = base64.StdEncoding.EncodeToString([]byte(c.ClientCertificate))
		u.User.ClientKeyData = base64.StdEncoding.EncodeToString([]byte(c.ClientKey))
	} else {
		u.User.Token = c.Token
	}
	var ctx namedContext
	ctx.Name, ctx.Context.Cluster, ctx.Context.User = cluster, cluster, user
	k.Clusters, k.Users, k.Contexts = []namedCluster{cl}, []namedUser{u}, []namedContext{ctx}
	return yaml.Marshal(k)
}
