package validate

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorsCollectEveryField(t *testing.T) {
	var e Errors
	if !e.Check("name", nil) || e.Err() != nil {
		t.Fatal("a nil error was recorded")
	}
	e.Check("name", errors.New("The name is required."))
	e.Check("ignored", Fail("email", "That is not an address."))
	e.Add("email", "It is too long.")
	inner := &Errors{}
	inner.Add("age_ok", "Tick the box.")
	e.Check("", fmt.Errorf("checking: %w", inner))
	tests := []struct{ field, want string }{
		{"name", "The name is required."},
		{"email", "That is not an address. It is too long."},
		{"age_ok", "Tick the box."},
		{"ignored", ""},
	}
	for _, tt := range tests {
		if got := e.For(tt.field); got != tt.want {
			t.Errorf("For(%q) = %q, want %q", tt.field, got, tt.want)
		}
		if e.Has(tt.field) != (tt.want != "") {
			t.Errorf("Has(%q) = %v", tt.field, e.Has(tt.field))
		}
	}
	if n := len(e.List()); n != 4 {
		t.Errorf("%d problems, want 4", n)
	}
	got, ok := From(fmt.Errorf("wrapped: %w", e.Err()))
	if !ok || len(got.List()) != 4 {
		t.Errorf("From = %v, %v", got, ok)
	}
	one, ok := From(Fail("reason", "Say why."))
	if !ok || one.For("reason") != "Say why." {
		t.Errorf("From(Problem) = %v, %v", one, ok)
	}
	if _, ok := From(errors.New("plain")); ok {
		t.Error("a plain error was taken for problems")
	}
	var none *Errors
	if none.Has("x") || none.For("x") != "" || none.List() != nil || none.Err() != nil {
		t.Error("a nil *Errors is not empty")
	}
}
