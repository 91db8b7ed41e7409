package apiserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// listHead is a kubeListBody without its items.
type listHead struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ListMeta `json:"metadata"`
}

// writeList answers a list of n items (item(i) is the i-th, as encoded)
// with the bytes writeJSON would write for a kubeListBody, one item at a
// time: the whole body of a list of 30,000 pods (90 MB, and as much again
// while its buffer grew) was held in memory per request
// (BENCHMARKS.md, issue 13: memory at scale (round 3)); now one item is.
// An item that cannot be encoded ends the body there, cut short (the
// status is sent already), as an encoding error of writeJSON left it empty.
func writeList(w http.ResponseWriter, tm metav1.TypeMeta, meta metav1.ListMeta, n int, item func(i int) any) {
	head, err := json.Marshal(listHead{TypeMeta: tm, Metadata: meta})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if err != nil {
		return
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	bw.Write(bytes.TrimSuffix(head, []byte("}")))
	bw.WriteString(`,"items":[`)
	var buf bytes.Buffer // one item's encoding, reused
	enc := json.NewEncoder(&buf)
	for i := range n {
		buf.Reset()
		if err := enc.Encode(item(i)); err != nil {
			return
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteString("]}\n")
}
