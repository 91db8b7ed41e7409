package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/secrets"
)

func newSecretCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "secret", Short: "Write Secrets whose values are encrypted to the controller"}
	cmd.AddCommand(newSecretEncryptCmd(g))
	return cmd
}

func newSecretEncryptCmd(g *globalFlags) *cobra.Command {
	var recipients, literals, files []string
	var namespace, recipientFile string
	cmd := &cobra.Command{
		Use:   "encrypt NAME",
		Short: "Print a Secret manifest whose values are encrypted with age to the controller's key",
		Long: `Print a Secret manifest for git. Each value is encrypted with age to the
controller's recipient (printed by ` + "`reconcile up`/`controller`" + ` at start, kept in
DATA/age.recipient, served at GET /api/v1/recipient) and written as stringData
"age:<base64>". Only the controller can decrypt it; ` + "`reconcile diff`" + ` and the API
show Secret values masked. With --recipient or --recipient-file this runs offline;
without either it asks the controller (--server) for its recipient. Values are
never sent anywhere.`,
		Example: `  reconcile secret encrypt db -n demo --recipient age1… --from-literal password=s3cret > secret-db.yaml
  reconcile secret encrypt tls --recipient-file /var/lib/reconcile/age.recipient --from-file tls.key
  reconcile secret encrypt api-key --server http://ctl:7420 --from-literal key=abc   # asks the controller`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if recipientFile != "" {
				b, err := os.ReadFile(recipientFile)
				if err != nil {
					return fmt.Errorf("--recipient-file: %w", err)
				}
				recipients = append(recipients, strings.Fields(string(b))...)
			}
			if len(recipients) == 0 {
				c, err := g.client()
				if err != nil {
					return err
				}
				r, err := c.Recipient(cmd.Context())
				if err != nil {
					return fmt.Errorf("no --recipient given, and asking the controller failed: %w", err)
				}
				recipients = []string{r}
			}
			values := map[string][]byte{}
			for _, l := range literals {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return fmt.Errorf("--from-literal %q: write KEY=VALUE", k)
				}
				values[k] = []byte(v)
			}
			for _, f := range files {
				k, p, ok := strings.Cut(f, "=")
				if !ok {
					k, p = filepath.Base(f), f
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("--from-file: %w", err)
				}
				values[k] = b
			}
			if len(values) == 0 {
				return fmt.Errorf("no values: add --from-literal KEY=VALUE or --from-file [KEY=]PATH")
			}
			s, err := encryptedSecret(args[0], namespace, values, recipients)
			if err != nil {
				return err
			}
			b, err := yaml.Marshal(s)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# Values encrypted with age to %s (reconcile secret encrypt).\n%s", strings.Join(recipients, ", "), b)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&recipients, "recipient", nil, "the controller's age recipient (age1…); repeat for several controllers")
	fl.StringVar(&recipientFile, "recipient-file", "", "a file of recipients, e.g. DATA/age.recipient")
	fl.StringArrayVar(&literals, "from-literal", nil, "KEY=VALUE (repeatable)")
	fl.StringArrayVar(&files, "from-file", nil, "[KEY=]PATH: the file's content (repeatable; KEY defaults to the file name)")
	fl.StringVarP(&namespace, "namespace", "n", "", "namespace of the Secret (empty: the source's target namespace or default)")
	return cmd
}

// encryptedSecret builds the manifest (sorted keys: stable output).
func encryptedSecret(name, namespace string, values map[string][]byte, recipients []string) (*corev1.Secret, error) {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{},
	}
	keys := slices.Sorted(maps.Keys(values))
	for _, k := range keys {
		enc, err := secrets.EncryptValue(values[k], recipients...)
		if err != nil {
			return nil, err
		}
		s.StringData[k] = enc
	}
	return s, nil
}
