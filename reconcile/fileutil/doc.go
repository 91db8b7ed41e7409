// Package fileutil writes the files that hold credentials (client configs,
// keys, certificates): atomically, so a reader never sees half a file, and
// with the mode set before any byte is written, so a secret is never
// readable by others even for a moment.
package fileutil
