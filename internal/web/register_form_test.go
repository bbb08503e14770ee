package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"plenary/internal/store"
	"plenary/internal/store/storetest"
)

// formValues is what a browser would send with the form posting to action
// on page as it stands: its text fields and text areas as filled, and its
// boxes and radio buttons only where ticked.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if a, _ := attr(n, "action"); n.Type == html.ElementNode && n.Data == "form" && a == action {
			form = n
		}
		for c := n.FirstChild; c != nil && form == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		t.Fatalf("no form posting to %s on the page:\n%s", action, page)
	}
	v := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, _ := attr(n, "name")
			switch n.Data {
			case "input":
				typ, _ := attr(n, "type")
				value, _ := attr(n, "value")
				_, checked := attr(n, "checked")
				if name != "" && ((typ != "checkbox" && typ != "radio") || checked) {
					v.Add(name, value)
				}
			case "textarea":
				var text string
				if n.FirstChild != nil {
					text = n.FirstChild.Data
				}
				v.Add(name, text)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}

// TestRegistrationFormKeepsItsBoxes: a registration sent with every box
// ticked and no ticket comes back with the boxes still ticked (the age
// box, the consent and the attendee list), so that choosing a ticket and
// sending the page again registers, listed on the attendee list.
func TestRegistrationFormKeepsItsBoxes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ms := newMeetingSite(t, db)
		meeting := ms.createMeeting(t, "Plenary 125", "10")
		full, _ := ticketIDs(t, ms.send(t, "GET", ms.url+meeting+"/register", nil, nil).Body)
		typed := registration("Tina Ticketless", "tina@example.net", full, true)
		typed.Del("ticket")
		res := ms.send(t, "POST", ms.url+meeting+"/register", typed, nil)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Please choose a ticket") {
			t.Fatalf("a registration without a ticket: %d\n%s", res.Status, res.Body)
		}
		again := formValues(t, res.Body, meeting+"/register")
		for _, box := range []string{"age_ok", "consent", "list_me"} {
			if again.Get(box) != "1" {
				t.Errorf("the form sent back does not keep the box %s ticked: %v", box, again)
			}
		}
		if again.Get("name") != "Tina Ticketless" || again.Get("email") != "tina@example.net" {
			t.Errorf("the form sent back lost what was typed: %v", again)
		}
		again.Set("ticket", full)
		if res := ms.send(t, "POST", ms.url+meeting+"/register", again, nil); res.Status != http.StatusSeeOther {
			t.Fatalf("sending the page again with a ticket: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM registrations WHERE name = 'Tina Ticketless' AND list_me"); n != 1 {
			t.Errorf("%d listed registrations for Tina, want 1", n)
		}
	})
}
