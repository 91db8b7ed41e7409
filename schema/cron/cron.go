package cron

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // timeZone works on hosts without /usr/share/zoneinfo

	robfig "github.com/robfig/cron/v3"

	"github.com/reconcile-dev/reconcile/schema/excerpt"
)

// parser is Kubernetes' (cron.ParseStandard): five fields and descriptors.
var parser = robfig.NewParser(robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Schedule is a parsed CronJob schedule.
type Schedule struct{ s robfig.Schedule }

// Parse reads spec in the zone named timeZone (the CronJob's
// spec.timeZone; "" = a CRON_TZ=/TZ= prefix of spec, else loc, else the
// host's zone). As Kubernetes, it refuses a prefix together with timeZone.
func Parse(spec, timeZone string, loc *time.Location) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	prefixed := strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")
	if prefixed && timeZone != "" {
		return nil, fmt.Errorf("cannot use both timeZone and a TZ= or CRON_TZ= prefix in the schedule; keep timeZone")
	}
	if timeZone != "" {
		if err := CheckTimeZone(timeZone); err != nil {
			return nil, err
		}
		spec = "CRON_TZ=" + timeZone + " " + spec
	}
	if prefixed && !strings.ContainsAny(spec, " \t") {
		// robfig/cron v3.0.1 panics on a prefix without fields (found by FuzzSchedule).
		return nil, fmt.Errorf("schedule %s: a time zone prefix needs the five fields after it", quote(spec))
	}
	s, err := parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %s; write five fields (minute hour day-of-month month day-of-week) such as \"*/5 * * * *\", or a descriptor such as @hourly",
			quote(spec), cleanError(err))
	}
	if ss, ok := s.(*robfig.SpecSchedule); ok && !prefixed && timeZone == "" && loc != nil {
		ss.Location = loc
	}
	return &Schedule{s: s}, nil
}

// CheckTimeZone accepts an IANA zone name, as Kubernetes' validation of
// spec.timeZone (which refuses "Local": the controller's zone is not the
// user's to know).
func CheckTimeZone(tz string) error {
	if tz == "Local" || strings.ContainsAny(tz, " \t\n") {
		return fmt.Errorf("unknown time zone %s: use an IANA name such as Europe/Paris or UTC", quote(tz))
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("unknown time zone %s: use an IANA name such as Europe/Paris or UTC", quote(tz))
	}
	return nil
}

// Next returns the first time after t that the schedule fires, in t's
// location, or the zero time if there is none within five years (e.g.
// "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) time.Time {
	n := s.s.Next(t)
	if n.IsZero() {
		return n
	}
	return n.In(t.Location())
}

// cleanError is robfig's message (which repeats parts of the spec), cut.
func cleanError(err error) string { return excerpt.Cut(err.Error()) }

func quote(s string) string { return excerpt.Quote(s) }

// parse is parser.Parse, with a panic of the library (input it did not
// foresee) turned into an error: the schedule comes from a repository.
func parse(spec string) (s robfig.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("not a schedule")
		}
	}()
	return parser.Parse(spec)
}
