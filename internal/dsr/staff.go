package dsr

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/inventory"
	"plenary/internal/mail"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// Refusals of requests staff enter for a person who wrote in.
var (
	ErrNoVerification = errors.New("Say how you checked that the request comes from the person (for example: the message came from their confirmed address, and they confirmed from it again). Nothing was changed.")
	ErrNoSuchAddress  = errors.New("No participant has that confirmed address or number. Data sent without an account (an inquiry) is removed by deleting the inquiry. Nothing was changed.")
)

// ErrUnprovenAddress refuses to find a person by an address whose mailbox
// they never proved (staff entered it): mail from it does not show that
// the account's holder wrote.
var ErrUnprovenAddress = errors.New("That address was entered on an account by staff, and the account's holder never proved its mailbox, so mail from it does not show whose request this is. Check with the account's primary address, then give the account number. Nothing was changed.")

// FindPerson finds the participant a request by mail is about, by their
// account number or an address whose mailbox they proved (as the export
// itself counts addresses, LoadSubject).
func FindPerson(ctx context.Context, q store.Querier, who string) (int64, error) {
	who = strings.TrimSpace(who)
	var id int64
	var err error
	if n, perr := parseID(who); perr == nil {
		err = q.QueryRow(ctx, `SELECT id FROM people WHERE id = ?`, n).Scan(&id)
	} else {
		var origin string
		err = q.QueryRow(ctx, `SELECT person_id, origin FROM person_emails WHERE address_key = ? AND verified_at IS NOT NULL`, strings.ToLower(who)).Scan(&id, &origin)
		if err == nil && origin != "self" {
			return 0, ErrUnprovenAddress
		}
	}
	if errors.Is(err, sql.ErrNoRows) || who == "" {
		return 0, ErrNoSuchAddress
	}
	if err != nil {
		return 0, fmt.Errorf("looking up the participant: %w", err)
	}
	return id, nil
}

func parseID(s string) (int64, error) {
	var n int64
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int64(r-'0')
		if n > 1<<50 {
			return 0, errors.New("too large")
		}
	}
	return n, nil
}

func cleanVerified(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ErrNoVerification
	}
	if utf8.RuneCountInString(v) > maxNote {
		return "", ErrNoteLong
	}
	return v, nil
}

// EnterRemoval records a removal request that a person sent by mail,
// entered by staff with how the person's identity was checked, and its
// audit entry, in one transaction. It is then decided like any other
// (by another member of staff when the one entering it is the person).
func EnterRemoval(ctx context.Context, db *store.DB, log *audit.Log, staff Actor, who, verified, note string, now time.Time) (int64, error) {
	if log == nil {
		return 0, ErrNoAudit
	}
	verified, err := cleanVerified(verified)
	if err != nil {
		return 0, err
	}
	if note, err = CleanNote(note); err != nil {
		return 0, err
	}
	var id int64
	err = db.Tx(ctx, func(tx *store.Tx) error {
		person, err := FindPerson(ctx, tx, who)
		if err != nil {
			return err
		}
		if old, ok, err := PendingFor(ctx, tx, person); err != nil {
			return err
		} else if ok {
			id = old
			return nil
		}
		id, err = store.Insert(ctx, tx, `INSERT INTO removal_requests (person_id, note, status, requested_at, entered_by, verified) VALUES (?, ?, ?, ?, ?, ?)`,
			person, note, Pending, now.UTC(), staff.ID, verified)
		if err != nil {
			return fmt.Errorf("storing a removal request: %w", err)
		}
		return log.Record(ctx, tx, audit.Entry{Actor: staff.ID, Label: staff.Label, Action: "dsr.removal.enter",
			Subject: fmt.Sprintf("removal:%d", id), Detail: fmt.Sprintf("for person:%d; verified: %s", person, verified)})
	})
	return id, err
}

// StaffExport makes the copy of a person's data for a verified request by
// mail and returns it with the person's primary address to send it to.
// The export and how identity was checked are in the audit log, in the
// same transaction as the reading. Sealed values are opened with keys,
// as in the person's own copy (MakeExport): the copy goes to the person
// alone.
func StaffExport(ctx context.Context, db *store.DB, log *audit.Log, inv *inventory.Inventory, keys *secrets.Keys, staff Actor, who, verified string, now time.Time) (Export, string, error) {
	if log == nil {
		return Export{}, "", ErrNoAudit
	}
	verified, err := cleanVerified(verified)
	if err != nil {
		return Export{}, "", err
	}
	var e Export
	var to string
	err = db.Tx(ctx, func(tx *store.Tx) error {
		person, err := FindPerson(ctx, tx, who)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT address FROM person_emails WHERE person_id = ? AND is_primary AND verified_at IS NOT NULL`, person).Scan(&to); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNoSuchAddress
			}
			return fmt.Errorf("reading the person's address: %w", err)
		}
		e, err = exportIn(ctx, tx, log, inv, keys, staff, person, "by mail to the primary address; verified: "+verified, now)
		return err
	})
	return e, to, err
}

// ExportMail is the message carrying a copy to the person's confirmed
// primary address: a short letter, then the copy as JSON; when the copy
// holds files, the letter with the same download the person gets from
// their account page (a zip of the JSON and the files) attached.
func ExportMail(e Export, to, org string) (mail.Message, error) {
	body, err := e.JSON()
	if err != nil {
		return mail.Message{}, err
	}
	m := mail.Message{To: to, Subject: "A copy of your data"}
	files := e.Files()
	if len(files) == 0 {
		m.Body = fmt.Sprintf("Hello,\n\nas you asked, here is a copy of all the data the site of %s holds about you, as JSON below this line. You can also see and download it from your account page when you are signed in.\n\n%s", org, body)
		return m, nil
	}
	var zipped bytes.Buffer
	if err := WriteArchive(&zipped, e); err != nil {
		return mail.Message{}, err
	}
	text := fmt.Sprintf("Hello,\n\nas you asked, here is a copy of all the data the site of %s holds about you, in the attached zip file: %s, the copy as JSON, and the %d files it names under files/. You can also see and download it from your account page when you are signed in.\n", org, ArchiveJSON, len(files))
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return mail.Message{}, err
	}
	boundary := "=_" + hex.EncodeToString(nonce[:]) // "=_" never occurs in base64
	name := "plenary-data-" + e.Generated.Format("2006-01-02") + ".zip"
	var b strings.Builder
	b.WriteString("This is a message in MIME format: a letter, then the copy of your data.\n")
	b.WriteString("\n--" + boundary + "\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n")
	b.WriteString(base64Lines([]byte(text)))
	b.WriteString("\n--" + boundary + "\nContent-Type: application/zip; name=\"" + name + "\"\nContent-Disposition: attachment; filename=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\n")
	b.WriteString(base64Lines(zipped.Bytes()))
	b.WriteString("\n--" + boundary + "--\n")
	m.Body, m.BodyType = b.String(), mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary})
	return m, nil
}

// base64Lines is data in base64 lines of 76 characters (RFC 2045).
func base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}
