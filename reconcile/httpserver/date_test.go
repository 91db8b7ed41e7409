package httpserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDateIsTheSecondsHTTPDate(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 23, 0, 5, 100e6, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{t0, "Mon, 07 Dec 2026 22:00:05 GMT"},
		{t0.Add(800 * time.Millisecond), "Mon, 07 Dec 2026 22:00:05 GMT"}, // same second: the shared value
		{t0.Add(900 * time.Millisecond), "Mon, 07 Dec 2026 22:00:06 GMT"},
		{t0.Add(-time.Hour), "Mon, 07 Dec 2026 21:00:05 GMT"}, // a clock stepped back
	} {
		got := Date(tc.at)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("Date(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
	a, b := Date(t0), Date(t0.Add(10*time.Millisecond))
	if &a[0] != &b[0] {
		t.Error("two answers in one second formatted the date twice")
	}
}

// The header a handler sets is the only Date net/http sends.
func TestDateReplacesNetHTTPsOwn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = Date(time.Now())
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := resp.Header.Values("Date")
	if len(got) != 1 {
		t.Fatalf("Date headers %q, want one", got)
	}
	if _, err := http.ParseTime(got[0]); err != nil {
		t.Errorf("Date %q: %v", got[0], err)
	}
}
