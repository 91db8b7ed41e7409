// Package secrets keeps Secret values encrypted everywhere but inside the
// controller.
//
// Values in git are encrypted with age (filippo.io/age) to the controller's
// X25519 recipient. The identity is generated into the data directory at
// first start (DATA/age.key, mode 0600); the recipient ("age1…") is printed
// at start and written to DATA/age.recipient, so `reconcile secret encrypt
// --recipient age1…` can write manifests without access to the controller.
//
// The format (like SOPS's, per value, so a diff shows which key changed):
//
//	stringData:
//	  password: "age:<standard base64 of the binary age ciphertext>"
//
// A value under data works too when its decoded bytes start with "age:"
// (the validator merges stringData into data). Such values are decrypted
// by the source loop after validation and before planning (Decrypt), never
// in the CLI: `reconcile diff` compares ciphertexts, masked like any Secret
// value. A value that is not "age:"-prefixed is used as it is (plain
// Secrets keep working; encrypt them).
//
// Mask hides Secret values in what the API server answers unless the
// client asks with ?reveal=true (the agent does: it must put them into
// containers).
package secrets
