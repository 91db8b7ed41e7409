package libpod

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ImageExists says whether the image is in the service's storage
// (images.Exists: GET /images/{name}/exists).
func (c *Client) ImageExists(ctx context.Context, name string) (bool, error) {
	return c.exists(ctx, "/images/%s/exists", name)
}

// Image is the part of an image list entry the agent reads
// (entities/types.ImageSummary).
type Image struct {
	RepoTags    []string
	RepoDigests []string
	Size        int64
}

// ListImages lists the service's images (images.List: GET /images/json).
func (c *Client) ListImages(ctx context.Context) ([]Image, error) {
	var out []Image
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/images/json"}, &out)
	return out, err
}

// ImageUser is the USER of an image's config ("" when unset) (images.GetImage:
// GET /images/{name}/json).
func (c *Client) ImageUser(ctx context.Context, name string) (string, error) {
	var out struct {
		Config *struct{ User string }
	}
	if err := c.do(ctx, request{method: http.MethodGet, endpoint: "/images/%s/json", pathArgs: []string{name}}, &out); err != nil {
		return "", err
	}
	if out.Config == nil {
		return "", nil
	}
	return out.Config.User, nil
}

// Auth is a registry credential for one pull.
type Auth struct{ Username, Password string }

// PullImage pulls ref (images.Pull with Quiet: POST
// /images/pull?reference=…&quiet=true, the credential in the X-Registry-Auth
// header as pkg/auth encodes a single one). The service answers 200 at once
// and then streams progress; a failed pull is an "error" report in that
// stream, returned here as the error (every one, joined, as the binding
// does). With no credential no header is sent and the service uses its own
// auth files.
func (c *Client) PullImage(ctx context.Context, ref string, auth *Auth) error {
	q := url.Values{"reference": {ref}, "quiet": {"true"}}
	var header http.Header
	if auth != nil && auth.Username != "" {
		h, err := registryAuthHeader(*auth)
		if err != nil {
			return err
		}
		header = h
	}
	resp, err := c.stream(ctx, request{method: http.MethodPost, endpoint: "/images/pull", query: q, header: header})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readPullStream(resp.Body)
}

// registryAuthHeader is the X-Registry-Auth header of one credential: the
// base64url of Docker's AuthConfig JSON (pkg/auth.MakeXRegistryAuthHeader).
func registryAuthHeader(a Auth) (http.Header, error) {
	b, err := json.Marshal(struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
	}{a.Username, a.Password})
	if err != nil {
		return nil, err
	}
	return http.Header{"X-Registry-Auth": {base64.URLEncoding.EncodeToString(b)}}, nil
}

// pullReport is one report of the pull stream (entities/types.ImagePullReport).
type pullReport struct {
	Stream string   `json:"stream,omitempty"`
	Error  string   `json:"error,omitempty"`
	Images []string `json:"images,omitempty"`
	ID     string   `json:"id,omitempty"`
}

// readPullStream reads the pull's reports to the end and returns the
// errors they carry, progress discarded.
func readPullStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	var errs []error
	for {
		var rep pullReport
		if err := dec.Decode(&rep); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			errs = append(errs, fmt.Errorf("reading the pull's progress from the Podman service: %w", err))
			break
		}
		if rep.Error != "" {
			errs = append(errs, errors.New(rep.Error))
		}
	}
	return errors.Join(errs...)
}
