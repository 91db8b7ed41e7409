package kubeapi

import "strings"

// OpenAPIV2 is the /openapi/v2 document kubectl downloads before apply,
// create and edit to validate manifests on the client (kubectl 1.20 asks
// for it in protobuf and stops with "failed to download openapi" on a 404):
// a Swagger 2.0 document with no definitions, so kubectl validates no kind
// by schema (it skips kinds the document lacks, as for CRDs without one)
// and sends the write, which the server then refuses with the git file to
// change. reconcile's own validation is schema.cue, at commit time.
// protobuf selects gnostic's openapi_v2.Document encoding, else JSON.
func OpenAPIV2(accept string) (body []byte, contentType string) {
	if strings.Contains(accept, "protobuf") {
		info := append(pbString(1, "reconcile"), pbString(2, "v1")...)
		doc := append(pbString(1, "2.0"), pbBytes(2, info)...)
		return doc, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	}
	return []byte(`{"swagger":"2.0","info":{"title":"reconcile","version":"v1"},"paths":{},"definitions":{}}` + "\n"), "application/json"
}

// pbString and pbBytes encode one length-delimited protobuf field (wire
// type 2) of a message with fewer than 128 bytes per field.
func pbString(field int, s string) []byte { return pbBytes(field, []byte(s)) }

func pbBytes(field int, b []byte) []byte {
	return append([]byte{byte(field<<3 | 2), byte(len(b))}, b...)
}
