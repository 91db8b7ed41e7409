package libpod

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// frame is one multiplexed frame of payload on stream.
func frame(stream byte, payload string) []byte {
	h := make([]byte, 8, 8+len(payload))
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(len(payload)))
	return append(h, payload...)
}

func TestDemux(t *testing.T) {
	big := strings.Repeat("x", 5000) // more than the first buffer
	tests := []struct {
		name            string
		in              []byte
		stdout, stderr  string
		wantErrContains string
	}{
		{name: "empty stream", in: nil},
		{name: "stdout and stderr apart", in: bytes.Join([][]byte{frame(1, "out 1\n"), frame(2, "err\n"), frame(1, "out 2\n")}, nil),
			stdout: "out 1\nout 2\n", stderr: "err\n"},
		{name: "stream 0 is stdout", in: frame(0, "echo"), stdout: "echo"},
		{name: "a frame larger than the buffer", in: append(frame(1, big), frame(1, "end")...), stdout: big + "end"},
		{name: "empty frame", in: append(frame(1, ""), frame(2, "e")...), stderr: "e"},
		{name: "service error on stream 3", in: append(frame(1, "a"), frame(3, "container died")...), stdout: "a",
			wantErrContains: "container died"},
		{name: "lost sync", in: append(frame(1, "a"), frame(9, "?")...), stdout: "a", wantErrContains: "stream 9"},
		{name: "cut in a header", in: append(frame(1, "a"), 1, 0, 0), stdout: "a", wantErrContains: "frame header"},
		{name: "cut in a frame", in: frame(1, "abc")[:10], wantErrContains: "frame of 3 bytes"},
		{name: "absurd length", in: []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, wantErrContains: "lost sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := demux(bytes.NewReader(tt.in), &out, &errOut)
			if tt.wantErrContains == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.wantErrContains != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErrContains)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErrContains)
			}
			if out.String() != tt.stdout || errOut.String() != tt.stderr {
				t.Fatalf("stdout %q stderr %q, want %q %q", out.String(), errOut.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("reader gone") }

// A failed write is the caller's, told apart from the service's errors.
func TestDemuxWriteError(t *testing.T) {
	err := demux(bytes.NewReader(frame(1, "a")), failingWriter{}, failingWriter{})
	var we *WriteError
	if !errors.As(err, &we) || we.Err.Error() != "reader gone" {
		t.Fatalf("error %v, want a *WriteError", err)
	}
}

func FuzzDemux(f *testing.F) {
	f.Add(bytes.Join([][]byte{frame(1, "out"), frame(2, "err")}, nil))
	f.Add(frame(3, "boom"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out, errOut bytes.Buffer
		err := demux(bytes.NewReader(in), &out, &errOut)
		if out.Len()+errOut.Len() > len(in) {
			t.Fatalf("wrote %d bytes from %d", out.Len()+errOut.Len(), len(in))
		}
		if err == nil && len(in)%8 != 0 && out.Len()+errOut.Len() == 0 {
			t.Fatalf("%d bytes that are no whole frames read with no error", len(in))
		}
	})
}
