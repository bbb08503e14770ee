// Package validate collects every problem of a form, field by field, so a
// page can show them all at once, each next to its field, instead of
// answering one problem per attempt. It knows nothing of HTTP or of any
// domain: the domain packages say what is wrong, the web layer shows it.
package validate

import (
	"errors"
	"strings"
)

// Problem is what is wrong with one field, in words fit for the person who
// filled in the form.
type Problem struct {
	Field   string
	Message string
}

func (p *Problem) Error() string { return p.Message }

// Fail returns a problem with field as an error.
func Fail(field, message string) error { return &Problem{Field: field, Message: message} }

// Errors is the problems found so far, in the order the fields were
// checked. A nil *Errors holds none, so templates may ask it anything.
type Errors struct {
	list []Problem
}

// Add records a problem of field.
func (e *Errors) Add(field, message string) {
	e.list = append(e.list, Problem{Field: field, Message: message})
}

// Check records err, when it is not nil, and reports whether it was nil. A
// *Problem (or an *Errors) keeps its own fields; any other error is
// recorded under field.
func (e *Errors) Check(field string, err error) bool {
	if err == nil {
		return true
	}
	var more *Errors
	var p *Problem
	switch {
	case errors.As(err, &more):
		e.list = append(e.list, more.list...)
	case errors.As(err, &p):
		e.list = append(e.list, *p)
	default:
		e.Add(field, err.Error())
	}
	return false
}

// Err returns e as an error when it holds a problem, else nil.
func (e *Errors) Err() error {
	if e == nil || len(e.list) == 0 {
		return nil
	}
	return e
}

// Error joins every message.
func (e *Errors) Error() string {
	msgs := make([]string, len(e.List()))
	for i, p := range e.List() {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, " ")
}

// List returns every problem, in the order found.
func (e *Errors) List() []Problem {
	if e == nil {
		return nil
	}
	return e.list
}

// Has reports whether field has a problem.
func (e *Errors) Has(field string) bool { return e.For(field) != "" }

// For returns the messages of field's problems, or "".
func (e *Errors) For(field string) string {
	var msgs []string
	for _, p := range e.List() {
		if p.Field == field {
			msgs = append(msgs, p.Message)
		}
	}
	return strings.Join(msgs, " ")
}

// From returns the problems err carries: all of an *Errors, or the one of a
// *Problem.
func From(err error) (*Errors, bool) {
	var e *Errors
	if errors.As(err, &e) {
		return e, true
	}
	var p *Problem
	if errors.As(err, &p) {
		return &Errors{list: []Problem{*p}}, true
	}
	return nil, false
}
