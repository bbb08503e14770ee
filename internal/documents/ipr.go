package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/people"
	"plenary/internal/policy"
	"plenary/internal/store"
	"plenary/internal/validate"
)

// IPR disclosures (PUB1): a participant tells the organization of patents
// or patent applications that may bear on its documents. A disclosure is
// specific (the holder's own patents, naming the drafts they bear on),
// generic (the holder's willingness to license whatever it holds, naming
// no draft) or third-party (someone else's patents, named by a
// participant who is not their holder). The secretariat posts it or
// rejects it with a reason; a posted one is a public record, and a
// removal leaves a tombstone with its reason and date.

// PurposeIPR is the consent ledger's purpose for a disclosure.
const PurposeIPR = "publishing an IPR disclosure, with the personal data in it, as a public record under the contribution terms"

// IPR kinds.
const (
	IPRSpecific   = "specific"
	IPRGeneric    = "generic"
	IPRThirdParty = "third-party"
)

// IPR states.
const (
	IPRPending  = "pending"
	IPRPosted   = "posted"
	IPRRejected = "rejected"
	IPRRemoved  = "removed"
)

// IPRKinds label each kind, in the order the form offers them.
var IPRKinds = []Choice{
	{IPRSpecific, "Specific: patents you or your employer hold that bear on named drafts"},
	{IPRGeneric, "Generic: a licensing commitment for whatever the holder holds, naming no draft"},
	{IPRThirdParty, "Third-party: patents someone else holds that you believe bear on named drafts"},
}

// Licensing declarations a holder may make.
var IPRLicensing = []Choice{
	{"no-license", "No license is required to implement the documents"},
	{"royalty-free", "Royalty-free, reasonable and non-discriminatory license to all implementers"},
	{"reasonable", "Reasonable and non-discriminatory license, possibly with a royalty"},
	{"later", "Licensing terms will be given later in an update"},
	{"none", "The holder makes no licensing commitment"},
	{"not-holder", "Not the holder: no licensing declaration can be made (third-party)"},
}

// Choice is one option of a form's list.
type Choice struct{ Value, Label string }

func choiceLabel(list []Choice, v string) string {
	for _, c := range list {
		if c.Value == v {
			return c.Label
		}
	}
	return v
}

// Limits of a disclosure's fields, in characters.
const (
	maxIPRTitle   = 300
	maxIPRHolder  = 300
	maxIPRPatents = 5000
	maxIPRNotes   = 5000
	maxIPRInfo    = 1000
	maxIPRDrafts  = 50
	maxReason     = 2000
)

// IPRForm is what a discloser types.
type IPRForm struct {
	Kind           string
	Title          string
	Holder         string
	ContactName    string
	ContactEmail   string
	ContactInfo    string
	ShowContact    bool
	Drafts         string // draft names, one a line or separated by commas
	Patents        string // patent numbers, each with its status, one a line
	Licensing      string
	LicensingNotes string
	Updates        string // the number of the disclosure this one updates, or ""
	AcceptTerms    bool
}

// Disclosure is a stored IPR disclosure.
type Disclosure struct {
	ID             int64
	Kind           string
	Title          string
	Holder         string
	ContactName    string
	ContactEmail   string
	ContactInfo    string
	ShowContact    bool
	Drafts         []string
	Patents        string
	Licensing      string
	LicensingNotes string
	Updates        int64
	UpdatedBy      []int64 // posted disclosures that update this one
	Submitter      int64
	State          string
	Reason         string
	SubmittedAt    time.Time
	DecidedAt      time.Time
}

// KindLabel and LicensingLabel say the kind and the declaration in words.
func (d Disclosure) KindLabel() string      { return choiceLabel(IPRKinds, d.Kind) }
func (d Disclosure) LicensingLabel() string { return choiceLabel(IPRLicensing, d.Licensing) }

// PatentLines are the patents, one a line.
func (d Disclosure) PatentLines() []string {
	var out []string
	for _, l := range strings.Split(d.Patents, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// checkIPR cleans a form and finds every problem with it.
func checkIPR(ctx context.Context, q store.Querier, f IPRForm) (IPRForm, []string, int64, *validate.Errors, error) {
	var e validate.Errors
	text := func(field, label string, s *string, max int, required, multiline bool) {
		v, err := people.CleanText(field, label, *s, max, required, multiline)
		if e.Check(field, err) {
			*s = v
		}
	}
	switch f.Kind {
	case IPRSpecific, IPRGeneric, IPRThirdParty:
	default:
		e.Add("kind", "Choose the kind of disclosure: specific, generic or third-party.")
	}
	text("title", "The title", &f.Title, maxIPRTitle, true, false)
	text("holder", "The patent holder", &f.Holder, maxIPRHolder, true, false)
	text("contact_name", "The contact's name", &f.ContactName, people.MaxName, f.Kind != IPRThirdParty, false)
	if strings.TrimSpace(f.ContactEmail) != "" || f.Kind != IPRThirdParty {
		addr, err := people.CleanEmail(f.ContactEmail)
		if err != nil {
			e.Add("contact_email", "The contact's e-mail address: "+err.Error())
		} else {
			f.ContactEmail = addr
		}
	}
	text("contact_info", "The contact's other details", &f.ContactInfo, maxIPRInfo, false, true)
	text("patents", "The patents", &f.Patents, maxIPRPatents, f.Kind != IPRGeneric, true)
	text("licensing_notes", "The licensing notes", &f.LicensingNotes, maxIPRNotes, false, true)
	if choiceLabel(IPRLicensing, f.Licensing) == f.Licensing {
		e.Add("licensing", "Choose a licensing declaration.")
	} else if (f.Kind == IPRThirdParty) != (f.Licensing == "not-holder") {
		if f.Kind == IPRThirdParty {
			e.Add("licensing", "A third-party discloser is not the holder and cannot declare licensing terms: choose “Not the holder”.")
		} else {
			e.Add("licensing", "“Not the holder” is only for a third-party disclosure: choose the holder's licensing declaration.")
		}
	}
	var names []string
	if isText(f.Drafts) {
		seen := map[string]bool{}
		for _, n := range strings.FieldsFunc(f.Drafts, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' || r == '\t' }) {
			n = strings.ToLower(n)
			if base, rev := splitName(n); rev != "" {
				n = base
			}
			if !nameForm.MatchString(n) || len(n) > MaxName {
				e.Add("drafts", fmt.Sprintf("%q is not a draft name such as draft-ietf-quic-tls.", clip(n, 80)))
				continue
			}
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	} else {
		e.Add("drafts", "The draft names contain bytes that are not valid text (UTF-8).")
	}
	switch {
	case len(names) > maxIPRDrafts:
		e.Add("drafts", fmt.Sprintf("Name at most %d drafts in one disclosure.", maxIPRDrafts))
	case f.Kind == IPRGeneric && len(names) > 0:
		e.Add("drafts", "A generic disclosure names no draft; choose a specific disclosure to name drafts.")
	case f.Kind != IPRGeneric && f.Kind != "" && len(names) == 0:
		e.Add("drafts", "Name at least one draft the patents bear on.")
	}
	var updates int64
	if u := strings.TrimSpace(f.Updates); u != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(u, "#"), 10, 64)
		var state string
		if err == nil {
			err = q.QueryRow(ctx, "SELECT state FROM ipr_disclosures WHERE id = ?", n).Scan(&state)
		}
		switch {
		case err == nil && state == IPRPosted:
			updates = n
		case err == nil || errors.Is(err, sql.ErrNoRows) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange):
			e.Add("updates", fmt.Sprintf("There is no posted disclosure number %q to update.", clip(u, 20)))
		default:
			return f, nil, 0, nil, fmt.Errorf("checking the disclosure updated: %w", err)
		}
	}
	if !f.AcceptTerms {
		e.Add("accept_terms", "Please confirm that the disclosure and the personal data in it will be public, and that you accept the contribution terms.")
	}
	if e.Err() != nil {
		return f, names, updates, &e, nil
	}
	return f, names, updates, nil, nil
}

func isText(s string) bool { return !strings.ContainsRune(s, 0) && utf8.ValidString(s) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.ValidString(s[:n]) {
		n--
	}
	return s[:n] + "…"
}

// IPRSubmission is a form with what the discloser was shown.
type IPRSubmission struct {
	Form      IPRForm
	VersionID int64
	Transfer  string
}

// SubmitIPR checks a disclosure and, when it has no problem, stores it
// waiting for the secretariat, with the discloser's consent entry and an
// audit entry, in one transaction. A *validate.Errors carries every
// problem; nothing is stored then.
func SubmitIPR(ctx context.Context, db *store.DB, log *audit.Log, who Submitter, sub IPRSubmission, now time.Time) (Disclosure, error) {
	if log == nil {
		return Disclosure{}, ErrNoAudit
	}
	var d Disclosure
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = submitIPR(ctx, tx, who.ID, sub, now); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: audit.ParticipantLabel(who.ID), Action: "ipr.submit",
			Subject: fmt.Sprintf("ipr:%d", d.ID), Detail: fmt.Sprintf("%s, %d drafts", d.Kind, len(d.Drafts))})
	})
	return d, err
}

func submitIPR(ctx context.Context, q store.Querier, submitter int64, sub IPRSubmission, now time.Time) (Disclosure, error) {
	now = now.UTC()
	f, names, updates, probs, err := checkIPR(ctx, q, sub.Form)
	if err != nil {
		return Disclosure{}, err
	}
	if probs != nil {
		return Disclosure{}, probs
	}
	var upd, by any
	if updates != 0 {
		upd = updates
	}
	if submitter != 0 {
		by = submitter
	}
	id, err := store.Insert(ctx, q, `INSERT INTO ipr_disclosures (kind, title, holder, contact_name, contact_email, contact_info, show_contact,
		patents, licensing, licensing_notes, updates_id, submitter_id, state, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.Kind, f.Title, f.Holder, f.ContactName, f.ContactEmail, f.ContactInfo, f.ShowContact,
		f.Patents, f.Licensing, f.LicensingNotes, upd, by, IPRPending, now)
	if err != nil {
		return Disclosure{}, fmt.Errorf("storing a disclosure: %w", err)
	}
	for _, n := range names {
		if _, err := q.Exec(ctx, "INSERT INTO ipr_documents (disclosure_id, draft_name) VALUES (?, ?)", id, n); err != nil {
			return Disclosure{}, fmt.Errorf("storing a disclosure's drafts: %w", err)
		}
	}
	if submitter != 0 {
		if err := policy.Record(ctx, q, policy.Consent{PersonID: submitter, Purpose: PurposeIPR, Granted: true,
			VersionID: sub.VersionID, Channel: policy.ChannelWeb, Transfer: sub.Transfer, At: now}); err != nil {
			return Disclosure{}, err
		}
	}
	return GetIPR(ctx, q, id)
}

// PostIPRDemo stores a disclosure and posts it at once, without audit
// entries: for the demo content only.
func PostIPRDemo(ctx context.Context, q store.Querier, submitter int64, sub IPRSubmission, now time.Time) (Disclosure, error) {
	d, err := submitIPR(ctx, q, submitter, sub, now)
	if err != nil {
		return d, err
	}
	if _, err := q.Exec(ctx, "UPDATE ipr_disclosures SET state = ?, decided_at = ? WHERE id = ?", IPRPosted, now.UTC(), d.ID); err != nil {
		return d, fmt.Errorf("posting a demo disclosure: %w", err)
	}
	return GetIPR(ctx, q, d.ID)
}

// IPR decisions the secretariat takes.
const (
	IPRActPost   = "post"
	IPRActReject = "reject"
	IPRActRemove = "remove"
)

// ErrIPRState is a decision the disclosure's state does not allow.
var ErrIPRState = errors.New("That cannot be done to this disclosure in its present state; reload the page.")

// DecideIPR posts a pending disclosure, rejects it with a reason, or
// removes a posted one with a reason (leaving its tombstone), with the
// audit entry, in one transaction.
func DecideIPR(ctx context.Context, db *store.DB, log *audit.Log, staff Submitter, id int64, action, reason string, now time.Time) (Disclosure, error) {
	if log == nil {
		return Disclosure{}, ErrNoAudit
	}
	reason, err := people.CleanText("reason", "The reason", reason, maxReason, action != IPRActPost, true)
	if err != nil {
		var e validate.Errors
		e.Check("reason", err)
		return Disclosure{}, &e
	}
	var d Disclosure
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := GetIPR(ctx, tx, id)
		if err != nil {
			return err
		}
		from, to := "", ""
		switch action {
		case IPRActPost:
			from, to = IPRPending, IPRPosted
		case IPRActReject:
			from, to = IPRPending, IPRRejected
		case IPRActRemove:
			from, to = IPRPosted, IPRRemoved
		default:
			return ErrIPRState
		}
		if cur.State != from {
			return ErrIPRState
		}
		res, err := tx.Exec(ctx, "UPDATE ipr_disclosures SET state = ?, reason = ?, decided_at = ? WHERE id = ? AND state = ?", to, reason, now.UTC(), id, from)
		if err != nil {
			return fmt.Errorf("deciding a disclosure: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrIPRState
		}
		if err := log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Name, Action: "ipr." + action,
			Subject: fmt.Sprintf("ipr:%d", id), Detail: reason}); err != nil {
			return err
		}
		d, err = GetIPR(ctx, tx, id)
		return err
	})
	return d, err
}

const iprColumns = `id, kind, title, holder, contact_name, contact_email, contact_info, show_contact, patents, licensing, licensing_notes,
	updates_id, submitter_id, state, reason, submitted_at, decided_at`

func scanIPR(row interface{ Scan(...any) error }) (Disclosure, error) {
	var d Disclosure
	var upd, by sql.NullInt64
	var decided sql.NullTime
	err := row.Scan(&d.ID, &d.Kind, &d.Title, &d.Holder, &d.ContactName, &d.ContactEmail, &d.ContactInfo, &d.ShowContact,
		&d.Patents, &d.Licensing, &d.LicensingNotes, &upd, &by, &d.State, &d.Reason, &d.SubmittedAt, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrIPRNotFound
	}
	if err != nil {
		return d, fmt.Errorf("reading a disclosure: %w", err)
	}
	d.Updates, d.Submitter, d.DecidedAt = upd.Int64, by.Int64, decided.Time
	return d, nil
}

// ErrIPRNotFound is a disclosure that does not exist.
var ErrIPRNotFound = errors.New("There is no such IPR disclosure.")

// GetIPR returns a disclosure in any state, with its drafts and the
// posted disclosures that update it.
func GetIPR(ctx context.Context, q store.Querier, id int64) (Disclosure, error) {
	d, err := scanIPR(q.QueryRow(ctx, "SELECT "+iprColumns+" FROM ipr_disclosures WHERE id = ?", id))
	if err != nil {
		return d, err
	}
	rows, err := q.Query(ctx, "SELECT draft_name FROM ipr_documents WHERE disclosure_id = ? ORDER BY id", id)
	if err == nil {
		d.Drafts, err = store.Collect(rows, store.Scalar[string])
	}
	if err != nil {
		return d, fmt.Errorf("reading a disclosure's drafts: %w", err)
	}
	rows, err = q.Query(ctx, "SELECT id FROM ipr_disclosures WHERE updates_id = ? AND state = ? ORDER BY id", id, IPRPosted)
	if err == nil {
		d.UpdatedBy, err = store.Collect(rows, store.Scalar[int64])
	}
	if err != nil {
		return d, fmt.Errorf("reading a disclosure's updates: %w", err)
	}
	return d, nil
}

func listIPR(ctx context.Context, q store.Querier, where string, args ...any) ([]Disclosure, error) {
	rows, err := q.Query(ctx, "SELECT "+iprColumns+" FROM ipr_disclosures WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("listing disclosures: %w", err)
	}
	defer rows.Close()
	var out []Disclosure
	for rows.Next() {
		d, err := scanIPR(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing disclosures: %w", err)
	}
	for i := range out {
		if out[i].Drafts, err = iprDrafts(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func iprDrafts(ctx context.Context, q store.Querier, id int64) ([]string, error) {
	rows, err := q.Query(ctx, "SELECT draft_name FROM ipr_documents WHERE disclosure_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("reading a disclosure's drafts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("reading a disclosure's drafts: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PublicIPR lists the posted and removed disclosures, newest first, at
// most limit: a removed one is listed as its tombstone.
func PublicIPR(ctx context.Context, q store.Querier, limit int) ([]Disclosure, error) {
	return listIPR(ctx, q, "state IN (?, ?) ORDER BY submitted_at DESC, id DESC LIMIT ?", IPRPosted, IPRRemoved, limit)
}

// PendingIPR lists the disclosures waiting for the secretariat, oldest
// first.
func PendingIPR(ctx context.Context, q store.Querier) ([]Disclosure, error) {
	return listIPR(ctx, q, "state = ? ORDER BY submitted_at, id", IPRPending)
}

// IPRForDraft lists the posted disclosures that name a draft.
func IPRForDraft(ctx context.Context, q store.Querier, name string) ([]Disclosure, error) {
	return listIPR(ctx, q, "state = ? AND id IN (SELECT disclosure_id FROM ipr_documents WHERE draft_name = ?) ORDER BY id", IPRPosted, name)
}

// IPRBySubmitter lists a person's own disclosures in every state, newest
// first, for their account page.
func IPRBySubmitter(ctx context.Context, q store.Querier, personID int64) ([]Disclosure, error) {
	return listIPR(ctx, q, "submitter_id = ? ORDER BY submitted_at DESC, id DESC", personID)
}
