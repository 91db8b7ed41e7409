package gitsync

// File is a temporary stand-in for schema.File while package schema is being
// written; it has exactly the same fields and is replaced by schema.File as
// soon as that type exists.
type File struct {
	Path          string
	Hash          string
	Size          int64
	Data          []byte
	SymlinkTarget string
}
