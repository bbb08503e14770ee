// Package policy keeps the privacy statement: its versions, each an
// immutable rendered snapshot (V1), and the announcement of a new version
// on the home page (V2).
package policy

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"plenary/internal/inventory"
	"plenary/internal/store"
)

//go:embed statement.tmpl
var builtinTemplate string

// BuiltinTemplate is the statement text plenary ships, for operators who
// want to start their own version from it.
func BuiltinTemplate() string { return builtinTemplate }

// Version is one published version of the privacy statement.
type Version struct {
	ID          int64
	PublishedAt time.Time
	Material    bool   // changes what is done with data: participants must acknowledge it (V3)
	Summary     string // what changed, in a sentence
	Source      string // "builtin" or the file it was published from
	Template    string // the template it was rendered from
	Body        string // the rendered text
}

// Facts are what the statement is rendered from besides the inventory.
type Facts struct {
	Org, Country, Contact string
	ThirdPartyCookies     []string
	// RetentionDays resolves an inventory retention key to the configured
	// number of days (-1 for forever).
	RetentionDays func(key string, def int) int
	// MailingAddress is where a reply saying "unsubscribe" has the link
	// that stops participant mailings mailed to the subscriber; Secretariat is the phone and postal address
	// that takes opt-outs (D2). Either may be empty.
	MailingAddress, Secretariat string
}

// Service reads and publishes statement versions.
type Service struct {
	DB          *store.DB
	Inventory   *inventory.Inventory
	Facts       Facts
	AnnounceFor time.Duration
}

// ErrNoVersion means nothing has been published yet.
var ErrNoVersion = errors.New("no privacy statement has been published")

const versionColumns = "id, published_at, material, summary, source, template, body"

func scanVersion(row interface{ Scan(...any) error }) (Version, error) {
	var v Version
	err := row.Scan(&v.ID, &v.PublishedAt, &v.Material, &v.Summary, &v.Source, &v.Template, &v.Body)
	return v, err
}

// Current returns the newest version.
func (s *Service) Current(ctx context.Context) (Version, error) {
	v, err := scanVersion(s.DB.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions ORDER BY id DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNoVersion
	}
	if err != nil {
		return v, fmt.Errorf("reading current privacy statement: %w", err)
	}
	return v, nil
}

// Get returns one version by id.
func (s *Service) Get(ctx context.Context, id int64) (Version, error) {
	v, err := scanVersion(s.DB.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNoVersion
	}
	if err != nil {
		return v, fmt.Errorf("reading privacy statement version %d: %w", id, err)
	}
	return v, nil
}

// List returns every version, newest first.
func (s *Service) List(ctx context.Context) ([]Version, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+versionColumns+" FROM policy_versions ORDER BY id DESC")
	if err != nil {
		return nil, fmt.Errorf("listing privacy statement versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("listing privacy statement versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Previous returns the version published just before v, if any.
func (s *Service) Previous(ctx context.Context, v Version) (Version, bool, error) {
	p, err := scanVersion(s.DB.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions WHERE id < ? ORDER BY id DESC LIMIT 1", v.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("reading previous privacy statement: %w", err)
	}
	return p, true, nil
}

// Render fills a statement template with the organization's facts and the
// data inventory.
func (s *Service) Render(tmpl string) (string, error) {
	if !utf8.ValidString(tmpl) {
		return "", errors.New("the statement template is not valid UTF-8 text")
	}
	for _, c := range []byte(tmpl) {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return "", errors.New("the statement template holds a control character: it must be plain text")
		}
	}
	t, err := template.New("statement").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("parsing statement template: %w", err)
	}
	buf := &cappedBuffer{max: maxStatement}
	if err := t.Execute(buf, s.statementData()); err != nil {
		if errors.Is(err, errTooLarge) {
			return "", fmt.Errorf("rendering statement template: the statement would be larger than %d bytes", maxStatement)
		}
		return "", fmt.Errorf("rendering statement template: %w", err)
	}
	body := normalize(buf.String())
	if strings.TrimSpace(body) == "" {
		return "", errors.New("rendering statement template: the statement is empty")
	}
	return body, nil
}

// maxStatement bounds a rendered statement; a template can nest
// definitions to grow its output exponentially.
const maxStatement = 1 << 20

var errTooLarge = errors.New("statement too large")

// cappedBuffer refuses writes past max bytes, which stops a template's
// execution there.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}

// normalize trims trailing spaces and runs of blank lines, so that a diff
// between versions shows only real changes.
func normalize(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// Publish renders tmpl and stores it as a new version, announcing it on
// the home page for AnnounceFor. Both happen in one transaction.
func (s *Service) Publish(ctx context.Context, tmpl, summary, source string, material bool, now time.Time) (Version, error) {
	body, err := s.Render(tmpl)
	if err != nil {
		return Version{}, err
	}
	if strings.TrimSpace(summary) == "" {
		return Version{}, errors.New("a new version needs a summary of what changed")
	}
	v := Version{PublishedAt: now.UTC(), Material: material, Summary: strings.TrimSpace(summary), Source: source, Template: tmpl, Body: body}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		return s.insert(ctx, tx, &v)
	})
	if err != nil {
		return Version{}, fmt.Errorf("publishing privacy statement: %w", err)
	}
	return v, nil
}

func (s *Service) insert(ctx context.Context, tx *store.Tx, v *Version) error {
	id, err := store.Insert(ctx, tx, "INSERT INTO policy_versions (published_at, material, summary, source, template, body) VALUES (?, ?, ?, ?, ?, ?)",
		v.PublishedAt, v.Material, v.Summary, v.Source, v.Template, v.Body)
	if err != nil {
		return err
	}
	v.ID = id
	if s.AnnounceFor <= 0 {
		return nil
	}
	title := "The privacy statement has changed"
	if v.Material {
		title = "The privacy statement has changed in a way that affects your data"
	}
	_, err = tx.Exec(ctx, "INSERT INTO announcements (title, body, link, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
		title, v.Summary, fmt.Sprintf("/privacy/versions/%d", id), v.PublishedAt, v.PublishedAt.Add(s.AnnounceFor))
	return err
}

// EnsureCurrent keeps the statement true to the running code: it renders
// the current template (the built-in one before anything was published)
// with today's configuration and inventory, and publishes a new version
// when the text differs from the newest one. Instances starting together
// against one PostgreSQL serialize on a lock, so only one publishes.
func (s *Service) EnsureCurrent(ctx context.Context, now time.Time) (published bool, err error) {
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "policy"); err != nil {
			return err
		}
		cur, err := scanVersion(tx.QueryRow(ctx, "SELECT "+versionColumns+" FROM policy_versions ORDER BY id DESC LIMIT 1"))
		first := errors.Is(err, sql.ErrNoRows)
		if err != nil && !first {
			return err
		}
		tmpl, source := builtinTemplate, "builtin"
		if !first {
			tmpl, source = cur.Template, cur.Source
		}
		body, err := s.Render(tmpl)
		if err != nil {
			return err
		}
		if !first && body == cur.Body {
			return nil
		}
		v := Version{PublishedAt: now.UTC(), Source: source, Template: tmpl, Body: body}
		if first {
			v.Summary = "First version of the privacy statement."
		} else {
			v.Summary = "The list of data the site holds, or the organization's details, changed with this release."
			// New kinds of personal data change what is done with data;
			// wording and contact changes do not.
			v.Material = addsData(cur.Body, body)
		}
		published = true
		return s.insert(ctx, tx, &v)
	})
	if err != nil {
		return false, fmt.Errorf("checking the privacy statement against the data inventory: %w", err)
	}
	return published, nil
}

// addsData reports whether the new text lists a personal-data line that
// the old one did not.
func addsData(old, new string) bool {
	have := map[string]bool{}
	for _, l := range strings.Split(old, "\n") {
		have[l] = true
	}
	for _, l := range strings.Split(new, "\n") {
		if strings.HasPrefix(l, "- ") && !have[l] {
			return true
		}
	}
	return false
}

// Announcement is a notice on the home page.
type Announcement struct {
	Title, Body, Link string
	StartsAt          time.Time
}

// Announcements returns the notices showing at now, newest first.
func (s *Service) Announcements(ctx context.Context, now time.Time) ([]Announcement, error) {
	rows, err := s.DB.Query(ctx, "SELECT title, body, link, starts_at FROM announcements WHERE starts_at <= ? AND ends_at > ? ORDER BY starts_at DESC, id DESC", now.UTC(), now.UTC())
	if err != nil {
		return nil, fmt.Errorf("reading announcements: %w", err)
	}
	defer rows.Close()
	var out []Announcement
	for rows.Next() {
		var a Announcement
		if err := rows.Scan(&a.Title, &a.Body, &a.Link, &a.StartsAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
