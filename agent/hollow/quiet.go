package hollow

import (
	"context"
	"log/slog"
)

// quiet keeps the warnings and errors of log: what a thousand agents say
// at info level is noise.
func quiet(log *slog.Logger) *slog.Logger { return slog.New(warnOnly{log.Handler()}) }

type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(a)} }
func (h warnOnly) WithGroup(n string) slog.Handler      { return warnOnly{h.Handler.WithGroup(n)} }
