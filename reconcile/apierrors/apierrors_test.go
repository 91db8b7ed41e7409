package apierrors

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestReasonCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Reason
		code int
	}{
		{fmt.Errorf("Pod/default/x: %w", ErrNotFound), ReasonNotFound, 404},
		{fmt.Errorf("create: %w", ErrExists), ReasonAlreadyExists, 409},
		{fmt.Errorf("%w: retry", ErrConflict), ReasonConflict, 409},
		{ErrGone, ReasonExpired, 410},
		{New(ReasonUnauthorized, "no token"), ReasonUnauthorized, 401},
		{New(ReasonRequestTooLarge, "big"), ReasonRequestTooLarge, 413},
		{New(ReasonInvalid, "bad field"), ReasonInvalid, 422},
		{errors.New("disk full"), ReasonInternalError, 500},
		{New(ReasonBadRequest, "wrapping %w", ErrNotFound), ReasonBadRequest, 400}, // the outer reason decides
	} {
		if got := ReasonOf(tc.err); got != tc.want || got.Code() != tc.code {
			t.Errorf("ReasonOf(%v) = %s (%d), want %s (%d)", tc.err, got, got.Code(), tc.want, tc.code)
		}
	}
}

// TestStatusRoundTrip: an error sent as a Status body and decoded again
// still matches the sentinel the server side wrapped.
func TestStatusRoundTrip(t *testing.T) {
	for _, sent := range []error{ErrNotFound, ErrExists, ErrConflict, ErrGone, ErrForbidden, ErrUnauthorized, ErrTooLarge} {
		wrapped := fmt.Errorf("Pod/default/web: %w", sent)
		b, err := json.Marshal(FromError(wrapped))
		if err != nil {
			t.Fatal(err)
		}
		var st Status
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		if st.Kind != "Status" || st.Status != StatusFailure || st.Code != ReasonOf(sent).Code() {
			t.Errorf("status body %s", b)
		}
		got := st.Err(st.Code)
		if !errors.Is(got, sent) {
			t.Errorf("decoded %v does not match %v", got, sent)
		}
		if got.Error() != wrapped.Error() {
			t.Errorf("message %q, want %q", got.Error(), wrapped.Error())
		}
		for _, other := range []error{ErrNotFound, ErrGone} {
			if other != sent && ReasonOf(other) != ReasonOf(sent) && errors.Is(got, other) {
				t.Errorf("%v matches %v too", got, other)
			}
		}
	}
}

// TestStatusWithoutReason: an answer from something that is not our server
// (a proxy's 404 page) is classified by its code.
func TestStatusWithoutReason(t *testing.T) {
	if err := (Status{}).Err(http.StatusNotFound); !errors.Is(err, ErrNotFound) {
		t.Errorf("404 without body: %v", err)
	}
	if err := (Status{}).Err(http.StatusConflict); !errors.Is(err, ErrConflict) {
		t.Errorf("409 without body: %v", err)
	}
	if err := (Status{Message: "x"}).Err(http.StatusBadGateway); ReasonOf(err) != ReasonBadGateway {
		t.Errorf("502: %v", ReasonOf(err))
	}
}

func FuzzStatusDecode(f *testing.F) {
	f.Add([]byte(`{"kind":"Status","status":"Failure","message":"x","reason":"NotFound","code":404}`), 404)
	f.Add([]byte(`{"error":"old body"}`), 500)
	f.Add([]byte(`not json`), 410)
	f.Fuzz(func(t *testing.T, body []byte, code int) {
		var st Status
		_ = json.Unmarshal(body, &st)
		err := st.Err(code)
		if err == nil || err.Error() == "" {
			t.Fatalf("Status %s (code %d) decoded to no error", body, code)
		}
		_ = ReasonOf(err).Code()
	})
}
