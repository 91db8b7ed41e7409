package apiserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestSecretValuesAreMaskedUnlessRevealed(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"}, Data: map[string][]byte{"pw": []byte("canary")}}
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(sec) }); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&Server{Store: st}).Handler())
	defer srv.Close()
	const plain = "Y2FuYXJ5" // base64("canary"), as JSON carries []byte
	for _, tc := range []struct {
		path     string
		revealed bool
	}{
		{"/api/v1/secrets/db", false},
		{"/api/v1/secrets", false},
		{"/api/v1/secrets/db?reveal=true", true},
		{"/api/v1/secrets?reveal=true", true},
		{"/api/v1/secrets?reveal=1", false},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.Contains(string(b), plain); got != tc.revealed {
			t.Errorf("%s: value shown = %v, want %v:\n%s", tc.path, got, tc.revealed, b)
		}
		if !strings.Contains(string(b), `"db"`) {
			t.Errorf("%s: no Secret in the answer: %s", tc.path, b)
		}
	}
	stored, _ := st.Get(objects.Key{Kind: "Secret", Namespace: "default", Name: "db"})
	if string(stored.(*corev1.Secret).Data["pw"]) != "canary" {
		t.Fatal("masking changed the stored object")
	}
}

func TestRecipientIsServedWhenSet(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		recipient string
		code      int
	}{{"age1example", 200}, {"", 404}} {
		srv := httptest.NewServer((&Server{Store: st, Recipient: tc.recipient}).Handler())
		resp, err := http.Get(srv.URL + "/api/v1/recipient")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != tc.code || (tc.recipient != "" && !strings.Contains(string(b), `"recipient":"age1example"`)) {
			t.Errorf("recipient %q: %d %s", tc.recipient, resp.StatusCode, b)
		}
	}
}
