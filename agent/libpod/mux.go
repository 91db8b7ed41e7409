package libpod

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxFrame bounds one frame of a multiplexed stream: a corrupt length must
// not make the agent allocate gigabytes. Podman writes a log line or an
// exec's read (at most 32 KiB) per frame; a log line is at most a few MiB.
const maxFrame = 16 << 20

// demux copies a multiplexed stream (Docker's and Podman's
// application/vnd.docker.multiplexed-stream: each frame an 8-byte header,
// byte 0 the stream, bytes 4–7 the big-endian length, then the payload)
// to stdout (streams 0 and 1) and stderr (stream 2), frame by frame, as
// the bindings' DemuxHeader/DemuxFrame loop does. A frame on stream 3 is
// the service's error. The end of the stream between frames is the end.
func demux(r io.Reader, stdout, stderr io.Writer) error {
	var header [8]byte
	buf := make([]byte, 1024)
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("reading a multiplexed stream's frame header: %w", err)
		}
		stream := header[0]
		size := binary.BigEndian.Uint32(header[4:])
		if stream > 3 {
			return fmt.Errorf("multiplexed stream: frame on stream %d, only 0-3 exist (lost sync)", stream)
		}
		if size > maxFrame {
			return fmt.Errorf("multiplexed stream: frame of %d bytes, more than %d (lost sync)", size, maxFrame)
		}
		if int(size) > len(buf) {
			buf = make([]byte, size)
		}
		frame := buf[:size]
		if _, err := io.ReadFull(r, frame); err != nil {
			return fmt.Errorf("reading a multiplexed stream's frame of %d bytes: %w", size, err)
		}
		var w io.Writer
		switch stream {
		case 0, 1:
			w = stdout
		case 2:
			w = stderr
		case 3:
			return fmt.Errorf("from the Podman service, in the stream: %s", frame)
		}
		if _, err := w.Write(frame); err != nil {
			return &WriteError{Err: err}
		}
	}
}

// WriteError is a failed write to the caller's writer during a stream: the
// reader went away (a closed log follower), not the service.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }
