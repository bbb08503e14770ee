package lists

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/people"
	"plenary/internal/store"
)

// Importing archives. An imported message is a historical record that was
// public already in the archive it comes from: it is published in the
// list's archive as of its own date, attributed to its author, and sent to
// nobody. Its author did not accept plenary's contribution terms (PUB1)
// and is not asked to: no consent-ledger entry is written for them, since
// none was given, and the import's audit entry names who imported what.
// If the same person later posts from the web or by mail, they are asked
// for the terms then, as any first-time poster is.

// ImportBatchSize is how many messages one transaction stores.
const ImportBatchSize = 500

// MaxImportedBody bounds the text of an imported message (in characters);
// longer ones are reported and skipped.
const MaxImportedBody = 20 * MaxBody

// ImportStats counts what an import did.
type ImportStats struct {
	Read       int // messages read from the files
	Imported   int
	Duplicates int // skipped: their Message-ID is in the archive already
	Malformed  int // skipped: reported with their position
	Bytes      int64
}

// ImportProblem is a message that was skipped, with where it is.
type ImportProblem struct {
	File   string
	N      int // its position in the file: 1, 2, …
	Line   int // the line of its "From " separator
	Reason string
}

func (p ImportProblem) String() string {
	return fmt.Sprintf("%s: message %d (line %d): %s", p.File, p.N, p.Line, p.Reason)
}

// Importer imports mbox files into one list, batch by batch. It is
// resumable: a message whose Message-ID is in the archive already (from an
// earlier run that stopped half-way) is skipped and counted, so running it
// again on the same files completes the import.
type Importer struct {
	Service *Service
	Who     Actor
	List    string
	// Progress, when set, is called after each batch and at the end.
	Progress func(ImportStats)
	// Problem, when set, is told of each skipped malformed message.
	Problem func(ImportProblem)

	Stats ImportStats
	list  List
	batch []importItem
	seen  map[string]bool // Message-IDs of this run
	cache map[string]Contributor
}

type importItem struct {
	p    Parsed
	pos  ImportProblem
	date time.Time
}

// ImportFile reads one mbox file (plain or gzip). A message that cannot
// be read is reported and skipped; a file that breaks half-way (a
// truncated gzip stream) keeps what was read before the break and returns
// an error wrapping ErrMboxBroken after storing it.
func (im *Importer) ImportFile(ctx context.Context, name string, r io.Reader) error {
	if im.seen == nil {
		l, err := Get(ctx, im.Service.DB, im.List)
		if err != nil {
			return err
		}
		im.list, im.seen, im.cache = l, map[string]bool{}, map[string]Contributor{}
	}
	cr := &countingReader{r: r}
	mr, err := NewMboxReader(cr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	base := im.Stats.Bytes
	n := 0
	for {
		m, err := mr.Next()
		if err != nil {
			break
		}
		n++
		m.N = n
		im.Stats.Read++
		im.Stats.Bytes = base + cr.n
		pos := ImportProblem{File: name, N: n, Line: m.Line}
		if m.Err != nil {
			im.malformed(pos, m.Err.Error())
			continue
		}
		p, err := ParseMessage(m.Raw)
		if err != nil {
			im.malformed(pos, strings.TrimPrefix(err.Error(), ErrUnreadable.Error()+": "))
			continue
		}
		if p.MessageID == "" {
			p.MessageID = SyntheticID(m.Raw)
		}
		if reason := im.check(&p); reason != "" {
			im.malformed(pos, reason)
			continue
		}
		if im.seen[p.MessageID] {
			im.Stats.Duplicates++
			continue
		}
		im.seen[p.MessageID] = true
		date := p.Date
		if date.IsZero() {
			date = m.Envelope
		}
		if date.IsZero() {
			date = im.Service.now()
		}
		im.batch = append(im.batch, importItem{p: p, pos: pos, date: date})
		if len(im.batch) >= ImportBatchSize {
			if err := im.Flush(ctx); err != nil {
				return err
			}
		}
	}
	im.Stats.Bytes = base + cr.n
	if err := im.Flush(ctx); err != nil {
		return err
	}
	if err := mr.Err(); err != nil {
		return fmt.Errorf("%s: %w (the %d messages before it were read)", name, err, n)
	}
	return nil
}

func (im *Importer) malformed(pos ImportProblem, reason string) {
	im.Stats.Malformed++
	pos.Reason = reason
	if im.Problem != nil {
		im.Problem(pos)
	}
}

// check makes a parsed message fit the archive's rules, or says why it
// cannot.
func (im *Importer) check(p *Parsed) string {
	addr, err := people.CleanEmail(p.FromAddress)
	if err != nil {
		return fmt.Sprintf("the sender address %q is not an e-mail address", p.FromAddress)
	}
	p.FromAddress = addr
	if r := []rune(p.FromName); len(r) > people.MaxName {
		p.FromName = string(r[:people.MaxName])
	}
	if p.Subject == "" {
		p.Subject = "(no subject)"
	}
	if r := []rune(p.Subject); len(r) > MaxSubject {
		p.Subject = string(r[:MaxSubject])
	}
	if n := utf8.RuneCountInString(p.Text); n > MaxImportedBody {
		return fmt.Sprintf("its text is too long: %d characters, at most %d", n, MaxImportedBody)
	}
	if len(p.MessageID) > 250 {
		return "its Message-ID is longer than 250 characters"
	}
	return ""
}

// Flush stores the messages read so far in one transaction, with one
// audit entry.
func (im *Importer) Flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		if im.Progress != nil {
			im.Progress(im.Stats)
		}
		return nil
	}
	s := im.Service
	if s.Audit == nil {
		return ErrNoAudit
	}
	now := s.now()
	imported, dups := 0, 0
	added := map[string]Contributor{}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		imported, dups = 0, 0
		clear(added)
		for _, it := range im.batch {
			key := strings.ToLower(it.p.FromAddress)
			c, ok := im.cache[key]
			if !ok {
				if c, ok = added[key]; !ok {
					var err error
					if c, err = contributor(ctx, tx, it.p.FromAddress, it.p.FromName, 0, it.date); err != nil {
						return err
					}
					added[key] = c
				}
			}
			_, err := storePosting(ctx, tx, entry{list: im.list, contributor: c, messageID: it.p.MessageID, inReplyTo: it.p.InReplyTo,
				refs: it.p.References, subject: it.p.Subject, body: it.p.Text, status: Published, at: it.date, imported: &now,
				attachments: it.p.Attachments})
			// A removed message stays removed: skipped as one already seen.
			if errors.Is(err, errDuplicate) || errors.Is(err, errRemoved) {
				dups++
				continue
			}
			if err != nil {
				return fmt.Errorf("importing message %d of %s: %w", it.pos.N, it.pos.File, err)
			}
			imported++
		}
		if imported == 0 {
			return nil
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: im.Who.ID, Label: im.Who.Label, Action: "lists.import",
			Subject: "list:" + im.list.Name, Detail: fmt.Sprintf("%d messages imported from an mbox archive, published as historical records without distribution", imported)})
	})
	if err != nil {
		return err
	}
	for k, c := range added {
		im.cache[k] = c
	}
	im.Stats.Imported += imported
	im.Stats.Duplicates += dups
	im.batch = im.batch[:0]
	if im.Progress != nil {
		im.Progress(im.Stats)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
