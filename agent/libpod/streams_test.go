package libpod

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// A failed pull is an "error" report in a 200 stream: it must come back as
// the error (the agent turns it into ErrImagePull in the pod's status).
func TestReadPullStream(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "pulled", in: `{"stream":"Trying to pull x...\n"}` + "\n" + `{"images":["abc"],"id":"abc"}` + "\n"},
		{name: "registry error", in: `{"stream":"Trying to pull x...\n"}` + "\n" + `{"error":"initializing source docker://localhost:1/x: connection refused"}` + "\n",
			wantErr: "connection refused"},
		{name: "two errors", in: `{"error":"first"}{"error":"second"}`, wantErr: "first\nsecond"},
		{name: "garbage", in: `{"stream":"a"}<html>`, wantErr: "reading the pull's progress"},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readPullStream(strings.NewReader(tt.in))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzReadPullStream(f *testing.F) {
	f.Add(`{"stream":"x"}{"error":"e"}`)
	f.Add(`{"images":["a"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		_ = readPullStream(strings.NewReader(in)) // must not panic or hang
	})
}

// The credential travels as pkg/auth encodes one: base64url of Docker's
// AuthConfig JSON.
func TestRegistryAuthHeader(t *testing.T) {
	h, err := registryAuthHeader(Auth{Username: "u", Password: "p+/="})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(h.Get("X-Registry-Auth"))
	if err != nil {
		t.Fatalf("header %q is not base64url: %v", h.Get("X-Registry-Auth"), err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil || got["username"] != "u" || got["password"] != "p+/=" || len(got) != 2 {
		t.Fatalf("header decodes to %s (%v)", raw, err)
	}
}

func TestReadEvents(t *testing.T) {
	in := `{"Type":"container","Action":"died","Actor":{"ID":"c1","Attributes":{"reconcile.uid":"u"}},"timeNano":5}
{"status":"cleanup","Type":"container","Actor":{"ID":"c2"}}
`
	var got []Event
	if err := readEvents(strings.NewReader(in), func(e Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "died" || got[0].Actor.ID != "c1" || got[0].Actor.Attributes["reconcile.uid"] != "u" ||
		got[0].TimeNano != 5 || got[1].Status != "cleanup" || got[1].Actor.ID != "c2" {
		t.Fatalf("events %+v", got)
	}
	if err := readEvents(strings.NewReader(`{"Type":`), func(Event) {}); err == nil {
		t.Fatal("a cut event is no error")
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add(`{"Type":"container","Action":"died","Actor":{"ID":"c1"}}`)
	f.Fuzz(func(t *testing.T, in string) {
		_ = readEvents(strings.NewReader(in), func(Event) {})
	})
}

func TestStatsReportError(t *testing.T) {
	for in, wantErr := range map[string]bool{
		`{"Error":null,"Stats":[{"ContainerID":"a","CPUNano":1,"MemUsage":2,"SystemNano":3}]}`: false,
		`{"Stats":[]}`:              false,
		`{"Error":{},"Stats":null}`: true,
	} {
		var r statsReport
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatal(err)
		}
		if (r.err() != nil) != wantErr {
			t.Errorf("%s: error %v, want error %v", in, r.err(), wantErr)
		}
	}
}
