package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestErrorGolden validates each file of testdata/errors on its own and
// compares the rendered errors with the file's .golden.
func TestErrorGolden(t *testing.T) {
	v := newTestValidator(t)
	inputs, err := filepath.Glob(filepath.Join("testdata", "errors", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate([]File{{Path: filepath.Base(in), Data: data}})
			got := res.String()
			if len(res.Errors) == 0 {
				t.Errorf("%s: expected errors, got none", in)
			}
			testkit.GoldenString(t, strings.TrimSuffix(in, filepath.Ext(in))+".golden", got)
		})
	}
}
