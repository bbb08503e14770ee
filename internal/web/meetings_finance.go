package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"plenary/internal/meetings"
)

// Finance's side of meetings (issue 10): the payments with their sealed
// details (each view audited), the refund requests, and refunding a
// payment, which moves money and so is confirmed on a page of its own
// first. Every page of it is reached from /admin/payments or
// /admin/refunds and sends finance back there, to the same filter and
// page, with a message that says what was done.

// financeBack is where a refund's pages send finance back to: one of the
// two lists, with only the list's own filter kept, so that the address
// can lead nowhere else.
func financeBack(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || (u.Path != "/admin/payments" && u.Path != "/admin/refunds") {
		return "/admin/refunds"
	}
	q := url.Values{}
	for _, k := range []string{"meeting", "status", "page"} {
		if v := u.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// withDone adds a done message's key, and the payment it is about, to a
// list's address.
func withDone(back, done string, payment int64) string {
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("done", done)
	q.Set("payment", strconv.FormatInt(payment, 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// financeDone is the message a list shows after a refund, from the
// query: the payment it names, read again.
func (s *Server) financeDone(r *http.Request) string {
	q := r.URL.Query()
	pid, err := strconv.ParseInt(q.Get("payment"), 10, 64)
	if q.Get("done") != "refunded" || err != nil {
		return ""
	}
	x, err := meetings.RefundOf(r.Context(), s.DB, pid)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("Refunded %s to %s (payment %d, %s) through the card processor: the registration is cancelled, its place released, and the registrant is mailed.",
		x.Price(), x.Registrant, x.PaymentID, x.MeetingName)
}

type adminPaymentsData struct {
	meetings.FinancePage
	Meetings []meetings.Meeting
	Statuses []statusOption
	Done     string
	// Here is this page's own address, to come back to after a refund;
	// Newer and Older are the neighbouring pages', "" when there is none.
	Here, Newer, Older string
}

type statusOption struct{ Value, Label string }

// financeFilter reads the list's filter from the query; anything that
// does not parse is left out.
func financeFilter(q url.Values) meetings.FinanceFilter {
	var f meetings.FinanceFilter
	f.Meeting, _ = strconv.ParseInt(q.Get("meeting"), 10, 64)
	f.Status = q.Get("status")
	f.Page, _ = strconv.Atoi(q.Get("page"))
	return f
}

func financeQuery(f meetings.FinanceFilter, page int) string {
	q := url.Values{}
	if f.Meeting != 0 {
		q.Set("meeting", strconv.FormatInt(f.Meeting, 10))
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/admin/payments"
	}
	return "/admin/payments?" + q.Encode()
}

// adminPayments is finance's view of payments with their sealed details
// opened, a page at a time, by meeting and status; each view is audited
// (P2).
func (s *Server) adminPayments(w http.ResponseWriter, r *http.Request) error {
	id := identityOf(r)
	page, err := meetings.FinanceList(r.Context(), s.DB, s.Audit, s.paymentSealer(), meetings.Staff{ID: id.PersonID, Name: id.Name}, financeFilter(r.URL.Query()))
	if err != nil {
		return meetingError(err)
	}
	up, past, err := meetings.List(r.Context(), s.DB, s.Now())
	if err != nil {
		return err
	}
	d := adminPaymentsData{FinancePage: page, Meetings: append(up, past...), Done: s.financeDone(r)}
	for _, st := range meetings.PaymentStatuses() {
		d.Statuses = append(d.Statuses, statusOption{st, meetings.PaymentStatusLabel(st)})
	}
	f := page.Filter
	d.Here = financeQuery(f, f.Page)
	if f.Page > 1 {
		d.Newer = financeQuery(f, f.Page-1)
	}
	if page.More {
		d.Older = financeQuery(f, f.Page+1)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin_payments", pageData{Title: "Payments", Data: d})
	return nil
}

type adminRefundsData struct {
	Requests []meetings.RefundRequest
	Done     string
}

// adminRefunds lists the refund requests for finance, each with the way
// to its refund's confirmation.
func (s *Server) adminRefunds(w http.ResponseWriter, r *http.Request) error {
	list, err := meetings.RefundRequests(r.Context(), s.DB)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin_refunds", pageData{Title: "Refund requests", Data: adminRefundsData{Requests: list, Done: s.financeDone(r)}})
	return nil
}

type adminRefundData struct {
	Refund meetings.RefundRequest
	Back   string
}

func paymentOf(r *http.Request) (int64, error) {
	pid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, meetingError(meetings.ErrNotFound)
	}
	return pid, nil
}

// adminPaymentRefundConfirm is the page that asks finance to confirm a
// refund before any money moves. It changes nothing.
func (s *Server) adminPaymentRefundConfirm(w http.ResponseWriter, r *http.Request) error {
	pid, err := paymentOf(r)
	if err != nil {
		return err
	}
	x, err := meetings.RefundOf(r.Context(), s.DB, pid)
	if err != nil {
		return meetingError(err)
	}
	back := financeBack(r.URL.Query().Get("back"))
	if !x.Refundable() {
		return &Error{Status: http.StatusConflict, Message: fmt.Sprintf("Payment %d is %s, so there is nothing to refund.", pid, x.PaymentStatusLabel()),
			Again: back, AgainText: "Back to the list"}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin_refund", pageData{Title: "Refund " + x.Price(), Data: adminRefundData{Refund: x, Back: back}})
	return nil
}

// adminPaymentRefund gives a paid payment back through the processor,
// once confirmed on adminPaymentRefundConfirm's page; unconfirmed, it
// refunds nothing and points there. Done, it goes back to the list finance came from
// with a message; a refund that did not go through is shown as such.
func (s *Server) adminPaymentRefund(w http.ResponseWriter, r *http.Request) error {
	pid, err := paymentOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	back := financeBack(r.PostForm.Get("back"))
	if _, err := meetings.RefundOf(r.Context(), s.DB, pid); err != nil {
		return meetingError(err)
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Confirm the refund", Data: messageData{
			Heading: "The refund is not confirmed",
			Text:    "A refund moves money, so it is made only from its confirmation page. Nothing was refunded.",
			Link:    fmt.Sprintf("/admin/payments/%d/refund?back=%s", pid, url.QueryEscape(back)), LinkText: "The refund's confirmation page"}})
		return nil
	}
	id := identityOf(r)
	c := s.checkouts()
	err = c.Refund(r.Context(), meetings.Staff{ID: id.PersonID, Name: id.Name}, pid, s.Now())
	s.deliverQueued(r.Context(), c)
	var failed *meetings.RefundFailure
	if errors.As(err, &failed) {
		// Not the generic failure page, which says nothing was changed:
		// this one says what was, and what happens next.
		status := http.StatusBadGateway
		switch {
		case failed.Made:
			status = http.StatusInternalServerError
		case failed.Refused:
			status = http.StatusConflict
		}
		s.Log.Warn("a refund did not go through", "payment", pid, "err", err)
		heading := "The refund did not go through"
		if failed.Made {
			heading = "The refund is made, and not yet recorded"
		}
		s.render(w, r, status, "message", pageData{Title: heading, Data: messageData{Heading: heading, Text: failed.Error(),
			Link: back, LinkText: "Back to the list"}})
		return nil
	}
	if err != nil {
		return meetingError(err)
	}
	http.Redirect(w, r, withDone(back, "refunded", pid), http.StatusSeeOther)
	return nil
}
