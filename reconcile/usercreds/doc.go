// Package usercreds keeps people's credentials on the controller (issue 9:
// "people authenticate with client certificates or tokens mapped to
// roles"): each person has one role (admin, deployer, viewer, metrics) and any
// number of credentials, client certificates of the cluster CA and bearer
// tokens, that can be listed and deleted.
//
// Records, in the store's side records beside nodecreds' (one process
// owns the store, so every change goes through the running controller's
// API, `reconcile user create|list|delete`):
//
//	user/<name>            Record: role, the serials of the certificates issued, the SHA-256 of each token (never a token)
//	usertoken-deleted/<h>  Deleted: a deleted person's token hash, so its 401 says "deleted" rather than "wrong"
//
// A certificate is issued for the caller's CSR (the key never reaches the
// controller) with subject pki.UserSubject(name, role); its serial is
// recorded so that Delete revokes it through nodecreds.Issuer.RevokeUser:
// one revocation list, asked on every request (apiserver.Server.Revoked).
// A token is jointoken's random <id>.<secret> (about 113 bits): only its
// hash (jointoken.HashSecret) is stored. The tokens are also kept in
// memory, by hash, loaded at start and changed with every create and
// delete: authenticating a request (Users.PersonByToken, authz.People)
// reads no store.
package usercreds
