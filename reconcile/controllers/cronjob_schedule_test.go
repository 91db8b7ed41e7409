package controllers

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	base := time.Date(2025, 1, 1, 10, 17, 30, 0, time.UTC) // a Wednesday
	cases := []struct {
		spec, tz string
		from     time.Time
		want     time.Time
	}{
		{"* * * * *", "", base, time.Date(2025, 1, 1, 10, 18, 0, 0, time.UTC)},
		{"*/15 * * * *", "", base, time.Date(2025, 1, 1, 10, 30, 0, 0, time.UTC)},
		{"0 * * * *", "", base, time.Date(2025, 1, 1, 11, 0, 0, 0, time.UTC)},
		{"@hourly", "", base, time.Date(2025, 1, 1, 11, 0, 0, 0, time.UTC)},
		{"@daily", "", base, time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"@weekly", "", base, time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)},
		{"@monthly", "", base, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"@yearly", "", base, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"30 9 * * MON-FRI", "", base, time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)},
		{"0 0 * * SUN", "", base, time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)},
		{"0 0 13 * 5", "", base, time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)}, // Friday or the 13th: Friday 3rd first
		{"5-10/2 3 * JAN,mar *", "", base, time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC)},
		{"10/20 * * * *", "", base, time.Date(2025, 1, 1, 10, 30, 0, 0, time.UTC)},
		{"0 0 29 2 *", "", base, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0 9 * * *", "Europe/Paris", base, time.Date(2025, 1, 2, 9, 0, 0, 0, paris).UTC()},
		{"TZ=Europe/Paris 0 9 * * *", "", base, time.Date(2025, 1, 2, 9, 0, 0, 0, paris).UTC()},
		{"CRON_TZ=Europe/Paris 0 9 * * *", "", base, time.Date(2025, 1, 2, 9, 0, 0, 0, paris).UTC()},
		{"@every 1h", "", base, time.Date(2025, 1, 1, 11, 17, 30, 0, time.UTC)},
		{"0 0 30 2 *", "", base, time.Time{}},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.spec, c.tz, time.UTC)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if got := s.Next(c.from); !got.Equal(c.want) {
			t.Errorf("%q tz %q: Next(%s) = %s, want %s", c.spec, c.tz, c.from, got, c.want)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, spec := range []string{"* * * *", "60 * * * *", "* * 0 * *", "*/0 * * * *", "a * * * *", "5-1 * * * *", "@often",
		"61 * * * *", "0 0 * * 7", // robfig's standard parser, as Kubernetes: 7 is not Sunday there
	} {
		if _, err := ParseSchedule(spec, "", time.UTC); err == nil {
			t.Errorf("%q parsed", spec)
		}
	}
	if _, err := ParseSchedule("* * * * *", "Mars/Olympus", time.UTC); err == nil {
		t.Error("unknown zone accepted")
	}
	if _, err := ParseSchedule("TZ=UTC * * * * *", "Europe/Paris", time.UTC); err == nil {
		t.Error("a TZ= prefix with timeZone accepted (Kubernetes refuses both)")
	}
}
