package controllers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timeZone works on hosts without /usr/share/zoneinfo
)

// Schedule is a parsed five-field cron expression (minute hour
// day-of-month month day-of-week) in a time zone, as Kubernetes' CronJob
// reads it (the robfig/cron standard parser): numbers, ranges a-b, steps
// */n and a-b/n, lists, month and weekday names, ? for *, 7 for Sunday,
// and the macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly. When both day fields are restricted, a day
// matching either runs, as in Vixie cron.
type Schedule struct {
	minute, hour, dom, month, dow uint64 // bit i set: value i allowed
	domStar, dowStar              bool
	loc                           *time.Location
}

var cronMacros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

var monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// ParseSchedule parses spec in the zone named timeZone ("" = loc; spec may
// also start with "TZ=Zone " or "CRON_TZ=Zone ").
func ParseSchedule(spec, timeZone string, loc *time.Location) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		i := strings.IndexByte(spec, ' ')
		if i < 0 {
			return nil, fmt.Errorf("schedule %q: a time zone prefix needs the five fields after it", spec)
		}
		timeZone = spec[strings.IndexByte(spec, '=')+1 : i]
		spec = strings.TrimSpace(spec[i:])
	}
	if timeZone != "" {
		l, err := time.LoadLocation(timeZone)
		if err != nil {
			return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris or UTC", timeZone)
		}
		loc = l
	}
	if loc == nil {
		loc = time.Local
	}
	if m, ok := cronMacros[spec]; ok {
		spec = m
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return nil, fmt.Errorf("schedule %q: want five fields (minute hour day-of-month month day-of-week) or a macro such as @hourly, got %d fields", spec, len(f))
	}
	s := &Schedule{loc: loc}
	var err error
	parts := []struct {
		name     string
		min, max int
		names    map[string]int
		out      *uint64
	}{
		{"minute", 0, 59, nil, &s.minute}, {"hour", 0, 23, nil, &s.hour}, {"day of month", 1, 31, nil, &s.dom},
		{"month", 1, 12, monthNames, &s.month}, {"day of week", 0, 7, dayNames, &s.dow},
	}
	for i, p := range parts {
		if *p.out, err = parseCronField(f[i], p.min, p.max, p.names); err != nil {
			return nil, fmt.Errorf("schedule %q: %s field %q: %v", spec, p.name, f[i], err)
		}
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	s.domStar = f[2] == "*" || f[2] == "?"
	s.dowStar = f[4] == "*" || f[4] == "?"
	return s, nil
}

func parseCronField(field string, lo, hi int, names map[string]int) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(field, ",") {
		rng, step := part, 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			n, err := strconv.Atoi(part[i+1:])
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bad step %q", part[i+1:])
			}
			rng, step = part[:i], n
		}
		var from, to int
		switch {
		case rng == "*" || rng == "?":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = cronValue(a, names); err != nil {
				return 0, err
			}
			if to, err = cronValue(b, names); err != nil {
				return 0, err
			}
		default:
			v, err := cronValue(rng, names)
			if err != nil {
				return 0, err
			}
			from, to = v, v
			if step > 1 { // "a/n" means from a to the end
				to = hi
			}
		}
		if from < lo || to > hi || from > to {
			return 0, fmt.Errorf("%d-%d is outside %d-%d", from, to, lo, hi)
		}
		for v := from; v <= to; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

func cronValue(s string, names map[string]int) (int, error) {
	if v, ok := names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// Next returns the first time after t that the schedule fires, or the
// zero time if there is none within five years (e.g. "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) time.Time {
	orig := t.Location()
	t = t.In(s.loc).Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, s.loc)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.loc)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, s.loc)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t.In(orig)
		}
	}
	return time.Time{}
}

func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
