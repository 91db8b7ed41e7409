package apierrors

// Status is the body of every error answer, shaped like Kubernetes'
// metav1.Status so that kubectl-minded tools read it:
//
//	{"kind":"Status","apiVersion":"v1","status":"Failure","message":"…","reason":"NotFound","code":404}
type Status struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Reason     Reason `json:"reason"`
	Code       int    `json:"code"`
}

// StatusFailure is Status.Status of every error answer.
const StatusFailure = "Failure"

// FromError builds the Status answered for err.
func FromError(err error) Status {
	r := ReasonOf(err)
	return Status{Kind: "Status", APIVersion: "v1", Status: StatusFailure, Message: err.Error(), Reason: r, Code: r.Code()}
}

// Err turns a Status received over HTTP back into an error; code is the
// HTTP status of the answer, used when the body carries no reason.
func (s Status) Err(code int) error {
	r := s.Reason
	if r == "" {
		r = ReasonForCode(code)
	}
	msg := s.Message
	if msg == "" {
		msg = string(r)
	}
	return &Error{Reason: r, Message: msg}
}
