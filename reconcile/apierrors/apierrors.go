package apierrors

import (
	"errors"
	"fmt"
	"net/http"
)

// Reason says why a request failed, in Kubernetes' words (metav1.StatusReason).
type Reason string

// The reasons; Code maps each to its HTTP status.
const (
	ReasonBadRequest         Reason = "BadRequest"
	ReasonUnauthorized       Reason = "Unauthorized"
	ReasonForbidden          Reason = "Forbidden"
	ReasonNotFound           Reason = "NotFound"
	ReasonMethodNotAllowed   Reason = "MethodNotAllowed"
	ReasonAlreadyExists      Reason = "AlreadyExists"
	ReasonConflict           Reason = "Conflict"
	ReasonExpired            Reason = "Expired" // 410: a watch from a resourceVersion no longer kept
	ReasonRequestTooLarge    Reason = "RequestEntityTooLarge"
	ReasonInvalid            Reason = "Invalid"
	ReasonTooManyRequests    Reason = "TooManyRequests"
	ReasonInternalError      Reason = "InternalError"
	ReasonBadGateway         Reason = "BadGateway" // a proxied backend (an agent's log server) failed
	ReasonServiceUnavailable Reason = "ServiceUnavailable"
	ReasonTimeout            Reason = "Timeout"
)

// codes is the one table from reason to HTTP status.
var codes = map[Reason]int{
	ReasonBadRequest:         http.StatusBadRequest,
	ReasonUnauthorized:       http.StatusUnauthorized,
	ReasonForbidden:          http.StatusForbidden,
	ReasonNotFound:           http.StatusNotFound,
	ReasonMethodNotAllowed:   http.StatusMethodNotAllowed,
	ReasonAlreadyExists:      http.StatusConflict,
	ReasonConflict:           http.StatusConflict,
	ReasonExpired:            http.StatusGone,
	ReasonRequestTooLarge:    http.StatusRequestEntityTooLarge,
	ReasonInvalid:            http.StatusUnprocessableEntity,
	ReasonTooManyRequests:    http.StatusTooManyRequests,
	ReasonInternalError:      http.StatusInternalServerError,
	ReasonBadGateway:         http.StatusBadGateway,
	ReasonServiceUnavailable: http.StatusServiceUnavailable,
	ReasonTimeout:            http.StatusGatewayTimeout,
}

// Code is the HTTP status of a reason; an unknown reason is a 500.
func (r Reason) Code() int {
	if c, ok := codes[r]; ok {
		return c
	}
	return http.StatusInternalServerError
}

// ReasonForCode is the reason of an answer that carries no Status body (a
// proxy's, an older server's): the first reason of the table with that code,
// 409 being a Conflict.
func ReasonForCode(code int) Reason {
	switch code {
	case http.StatusConflict:
		return ReasonConflict
	}
	for r, c := range codes {
		if c == code && r != ReasonAlreadyExists {
			return r
		}
	}
	if code >= 500 {
		return ReasonInternalError
	}
	return ReasonBadRequest
}

// sentinel is a reason as a comparable error value.
type sentinel struct {
	reason Reason
	msg    string
}

func (s *sentinel) Error() string { return s.msg }

// Sentinels for errors.Is. The store returns them (wrapped), the server maps
// them to their reason, the client's errors match them again.
var (
	ErrNotFound     error = &sentinel{ReasonNotFound, "not found"}
	ErrExists       error = &sentinel{ReasonAlreadyExists, "already exists"}
	ErrConflict     error = &sentinel{ReasonConflict, "conflict: the object was changed since it was read; read it again and retry"}
	ErrGone         error = &sentinel{ReasonExpired, "resource version too old; list again"}
	ErrInvalid      error = &sentinel{ReasonInvalid, "invalid"}
	ErrBadRequest   error = &sentinel{ReasonBadRequest, "bad request"}
	ErrUnauthorized error = &sentinel{ReasonUnauthorized, "unauthorized"}
	ErrForbidden    error = &sentinel{ReasonForbidden, "forbidden"}
	ErrTooLarge     error = &sentinel{ReasonRequestTooLarge, "request entity too large"}
	ErrNotAllowed   error = &sentinel{ReasonMethodNotAllowed, "method not allowed"}
	ErrInternal     error = &sentinel{ReasonInternalError, "internal error"}
	ErrUnavailable  error = &sentinel{ReasonServiceUnavailable, "service unavailable"}
	ErrBadGateway   error = &sentinel{ReasonBadGateway, "bad gateway"}
)

var sentinels = []*sentinel{}

func init() {
	for _, e := range []error{ErrNotFound, ErrExists, ErrConflict, ErrGone, ErrInvalid, ErrBadRequest,
		ErrUnauthorized, ErrForbidden, ErrTooLarge, ErrNotAllowed, ErrInternal, ErrUnavailable, ErrBadGateway} {
		sentinels = append(sentinels, e.(*sentinel))
	}
}

// Error is an error with a reason: made by New on the server side, decoded
// from a Status on the client side. It matches the sentinel of its reason
// with errors.Is.
type Error struct {
	Reason  Reason
	Message string
	// Err is the cause, on the side that made the error (not sent).
	Err error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e's reason (ErrGone for Expired, and so on).
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.reason == e.Reason
}

// New makes an error with a reason and a message.
func New(reason Reason, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Reason: reason, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ReasonOf classifies any error: its *Error's reason, else the reason of
// the sentinel it wraps, else InternalError.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	var s *sentinel
	if errors.As(err, &s) {
		return s.reason
	}
	return ReasonInternalError
}

// Is reports whether err has the given reason.
func Is(err error, reason Reason) bool { return err != nil && ReasonOf(err) == reason }
