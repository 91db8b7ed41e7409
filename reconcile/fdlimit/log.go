package fdlimit

import "log/slog"

// RaiseLogged is Raise at a process's start, saying where it stands: the
// controller and the node simulator call it first.
func RaiseLogged(log *slog.Logger) {
	before, after, err := Raise()
	switch {
	case err != nil:
		log.Warn("raising the open-files limit failed", "soft", before.Soft, "hard", before.Hard, "err", err)
	case after.Hard < MaxWanted:
		log.Info("open-files limit", "limit", after.Soft, "note", "the hard limit could not be raised (no CAP_SYS_RESOURCE); each connected agent holds about 2 file descriptors")
	case after != before:
		log.Info("open-files limit raised", "from", before.Soft, "to", after.Soft)
	}
}
