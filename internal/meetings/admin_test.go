package meetings

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestCSVCellsCannotRunAsFormulas: every cell a spreadsheet would read as
// a formula (=, +, -, @, tab, carriage return first) is written as text.
func TestCSVCellsCannotRunAsFormulas(t *testing.T) {
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	list := []Own{{Registration: Registration{ID: 7, Name: "=1+1", Email: "@SUM(A1)", PostalAddress: "+44 Street", Affiliation: "-2",
		Ticket: Ticket{Name: "\tTab", Fee: 1050, Currency: "EUR"}, Status: Paid, CreatedAt: at}}}
	var b bytes.Buffer
	if err := WriteCSV(&b, list); err != nil {
		t.Fatal(err)
	}
	want := "registration,name,email,postal_address,affiliation,ticket,fee,status,listed,registered_at,cancelled_at,refund_requested_at\n" +
		"7,'=1+1,'@SUM(A1),'+44 Street,'-2,'\tTab,EUR 10.50,paid,no,2027-03-01T09:00:00Z,,\n"
	if got := b.String(); got != want {
		t.Errorf("CSV:\n%q\nwant\n%q", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		for _, cell := range strings.Split(line, ",") {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
}
