// Package clientconfig reads and writes the client configuration the CLI
// finds the controller with: its URL(s) and the credentials to present. It
// is what a kubeconfig is to kubectl, reduced to one cluster and one user.
//
// `reconcile up` and `reconcile controller` write an admin configuration to
// DATA/admin.conf at every start, and to the user's ~/.config/reconcile/config
// when that file does not exist yet (or was written from the same admin.conf
// before), so root on the first machine needs no flags. The CLI reads
// --config-file, then $RECONCILE_CONFIG, then ~/.config/reconcile/config
// (Find). Files are mode 0600 in a directory of mode 0700: they hold a
// credential that can start containers as root.
//
// The format is versioned (apiVersion reconcile.dev/v1, kind Config) and
// made to grow: certificateAuthority, clientCertificate and clientKey (PEM,
// what a kubeconfig calls certificate-authority-data, client-certificate-data
// and client-key-data) make it TLS (TLSConfig); readers ignore fields they
// do not know.
package clientconfig
