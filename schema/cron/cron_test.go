package cron

import (
	"strings"
	"testing"
	"time"
)

func TestParseRefusesWhatKubernetesRefuses(t *testing.T) {
	for _, spec := range []string{"61 * * * *", "* 24 * * *", "* * 32 * *", "* * * 13 *", "* * * * 7", "* * * *", "@often", "",
		"TZ=Mars/Olympus * * * * *", strings.Repeat("9", 5000) + " * * * *"} {
		_, err := Parse(spec, "", time.UTC)
		if err == nil {
			t.Errorf("%.40q accepted", spec)
			continue
		}
		if len(err.Error()) > 600 {
			t.Errorf("%.40q: error of %d bytes quotes too much input", spec, len(err.Error()))
		}
	}
	if _, err := Parse("* * * * *", "Local", time.UTC); err == nil {
		t.Error("timeZone Local accepted")
	}
}

func TestNextKeepsTheCallersLocation(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	s, err := Parse("0 9 * * *", "", paris)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	got := s.Next(from)
	if want := time.Date(2025, 6, 2, 9, 0, 0, 0, paris); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Next = %s, want %s in UTC", got, want)
	}
}

func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/5 * * * *", "61 * * * *", "@hourly", "@every 90s", "CRON_TZ=Europe/Paris 0 9 * * MON-FRI",
		"TZ=UTC 0 0 1 1 *", "5-10/2 3 * JAN,mar *", "0 0 30 2 *", "? ? ? ? ?", "1-2-3 * * * *", "*/0 * * * *", "TZ=", "@every -1s"} {
		f.Add(s, "")
	}
	f.Add("0 9 * * *", "Europe/Paris")
	f.Add("TZ=UTC 0 9 * * *", "UTC")
	f.Fuzz(func(t *testing.T, spec, tz string) {
		s, err := Parse(spec, tz, time.UTC)
		if err != nil {
			if len(err.Error()) > 1500 { // 200 bytes of input quoted (escapes up to 4×) and the cut library message
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		if n := s.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("%q: Next(%s) = %s, not after", spec, from, n)
		}
	})
}
