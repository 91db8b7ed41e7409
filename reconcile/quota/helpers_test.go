package quota

import "github.com/reconcile-dev/reconcile/schema/objects"

func toObjects(os ...objects.Object) []objects.Object { return os }
