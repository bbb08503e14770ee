package lists

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/people"
	"plenary/internal/store"
)

// Reading the archive (G1): threads a page at a time, postings by date,
// one posting with its place in the thread, mbox exports, and the
// tombstones that removed postings leave (R4).

// ThreadsPerPage is how many threads, or postings by date, a page shows.
const ThreadsPerPage = 25

// ThreadPage returns one page of a list's threads, the thread with the
// newest posting first, each with its postings in order of arrival, and
// whether a next page exists. The page of thread ids comes from
// list_threads (migration 0079), one row per thread kept by triggers, so a
// page reads its rows of an index whatever the size of the list (issue 9).
func ThreadPage(ctx context.Context, q store.Querier, l List, page int) ([]Thread, bool, error) {
	if page < 1 {
		page = 1
	}
	rows, err := q.Query(ctx, `SELECT thread_id FROM list_threads WHERE list_id = ?
		ORDER BY last_at DESC, last_id DESC LIMIT ? OFFSET ?`,
		l.ID, ThreadsPerPage+1, (page-1)*ThreadsPerPage)
	if err != nil {
		return nil, false, fmt.Errorf("reading threads: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("reading threads: %w", err)
		}
		ids = append(ids, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(ids) > ThreadsPerPage
	if more {
		ids = ids[:ThreadsPerPage]
	}
	if len(ids) == 0 {
		return nil, false, nil
	}
	ps, err := postsWhere(ctx, q, inThreads(len(ids))+" ORDER BY p.id", threadArgs(l, ids)...)
	if err != nil {
		return nil, false, err
	}
	byID := map[int64]*Thread{}
	for _, p := range ps {
		tid := p.ThreadID
		if tid == 0 {
			tid = p.ID
		}
		t, ok := byID[tid]
		if !ok {
			t = &Thread{ID: tid, Subject: p.Subject}
			byID[tid] = t
		}
		p.Body = "" // the page lists, it does not show
		t.Postings = append(t.Postings, p)
		if p.PublishedAt != nil && p.PublishedAt.After(t.Last) {
			t.Last = *p.PublishedAt
		}
	}
	var out []Thread
	for _, id := range ids {
		if t, ok := byID[id]; ok {
			out = append(out, *t)
		}
	}
	return out, more, nil
}

// inThreads is the condition on list_posts p that picks the published
// postings of a list's n threads, its arguments made by threadArgs. It
// names thread_id and id, not COALESCE(thread_id, id), so that the
// postings are found through the index of thread_id and the primary key.
// The list and the status are compared as expressions that no index
// serves (list_id plus zero, status joined to an empty string): a planner
// without statistics (SQLite unless ANALYZE ran, a PostgreSQL table not
// yet analysed) would otherwise read the list's own (list_id, status, …)
// indexes, every posting of the list.
func inThreads(n int) string {
	marks := "?" + strings.Repeat(", ?", n-1)
	return "p.list_id + 0 = ? AND p.status || '' = ? AND (p.thread_id IN (" + marks + ") OR (p.thread_id IS NULL AND p.id IN (" + marks + ")))"
}

func threadArgs(l List, ids []int64) []any {
	args := make([]any, 0, 2+2*len(ids))
	args = append(args, l.ID, Published)
	for range 2 {
		for _, id := range ids {
			args = append(args, id)
		}
	}
	return args
}

// ByDate returns one page of a list's postings, newest first, and whether
// a next page exists.
func ByDate(ctx context.Context, q store.Querier, l List, page int) ([]Posting, bool, error) {
	if page < 1 {
		page = 1
	}
	ps, err := postsWhere(ctx, q, "p.list_id = ? AND p.status = ? ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?",
		l.ID, Published, ThreadsPerPage+1, (page-1)*ThreadsPerPage)
	if err != nil {
		return nil, false, err
	}
	more := len(ps) > ThreadsPerPage
	if more {
		ps = ps[:ThreadsPerPage]
	}
	for i := range ps {
		ps[i].Body = ""
	}
	return ps, more, nil
}

// ThreadOf returns the published postings of a list's thread, in order of
// arrival; id may be any posting of the thread.
func ThreadOf(ctx context.Context, q store.Querier, l List, id int64) ([]Posting, error) {
	// A thread is named by its first posting, which may be held,
	// refused or removed while its replies are published: the thread is
	// then the replies (a removed first posting leaves a tombstone in
	// it), not a dead end.
	tid := id
	p, err := getPost(ctx, q, id)
	switch {
	case err == nil:
		if p.ListID != l.ID {
			return nil, ErrNoPost
		}
		if p.ThreadID != 0 {
			tid = p.ThreadID
		}
	case !errors.Is(err, ErrNoPost):
		return nil, err
	}
	ps, err := postsWhere(ctx, q, inThreads(1)+" ORDER BY p.id", threadArgs(l, []int64{tid})...)
	if err == nil && len(ps) == 0 {
		return nil, ErrNoPost
	}
	return ps, err
}

// Nav is a posting's place in its thread.
type Nav struct {
	Prev, Next, Parent *Posting
	Replies            []Posting
}

// Navigate finds p's neighbours in thread (its postings in order of
// arrival): the postings before and after it, the one it answers and
// those that answer it.
func Navigate(p Posting, thread []Posting) Nav {
	var n Nav
	for i := range thread {
		t := thread[i]
		t.Body = ""
		switch {
		case t.ID == p.ID:
			if i > 0 {
				prev := thread[i-1]
				prev.Body = ""
				n.Prev = &prev
			}
			if i+1 < len(thread) {
				next := thread[i+1]
				next.Body = ""
				n.Next = &next
			}
		case p.InReplyTo != "" && t.MessageID == p.InReplyTo:
			n.Parent = &t
		case t.InReplyTo != "" && t.InReplyTo == p.MessageID:
			n.Replies = append(n.Replies, t)
		}
	}
	return n
}

// MaskAddress hides most of an address's local part, for readers who are
// not signed in: "jane@example.org" becomes "ja…@example.org" (harvesters
// get nothing they can write to; a reader still tells two authors apart).
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return "…"
	}
	return maskedLocal(local) + "@" + domain
}

// maskedLocal is what MaskAddress leaves of a local part: its first two
// characters (one of a short one) and an ellipsis.
func maskedLocal(local string) string {
	r := []rune(local)
	keep := 2
	if len(r) <= 3 {
		keep = 1
	}
	if len(r) < keep {
		keep = len(r)
	}
	return string(r[:keep]) + "…"
}

// mboxBatch is how many postings a list's mbox export holds in memory at
// once: the export of a list of any size reads its postings in batches of
// this many, each batch written out before the next is read.
const mboxBatch = 200

// ListMbox writes every published posting of a list, in order of arrival.
// start runs once, after the first batch is read and before anything is
// written (a handler sets its headers there), so that a failure to read
// the archive can still be answered with an error page.
func ListMbox(ctx context.Context, q store.Querier, l List, mask bool, w io.Writer, start func()) error {
	var last int64
	for first := true; ; first = false {
		ps, err := postsWhere(ctx, q, "p.list_id = ? AND p.status = ? AND p.id > ? ORDER BY p.id LIMIT ?", l.ID, Published, last, mboxBatch)
		if err != nil {
			return err
		}
		if first && start != nil {
			start()
		}
		if err := WriteMboxOf(ctx, q, ps, mask, w); err != nil {
			return err
		}
		if len(ps) < mboxBatch {
			return nil
		}
		last = ps[len(ps)-1].ID
	}
}

// Removal of a posting (R4).

// MaxReason bounds the reason staff give for a removal.
const MaxReason = 500

// Tombstone is what is left of a removed posting: where it was, when it
// was posted and removed, and why. Nothing of its text or author.
type Tombstone struct {
	PostID    int64
	ListID    int64
	ThreadID  int64
	PostedAt  *time.Time
	RemovedAt time.Time
	Reason    string
}

// MessageHash is how a tombstone remembers a Message-ID without keeping it.
func MessageHash(messageID string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(messageID))))
	return hex.EncodeToString(h[:])
}

// Remove takes a published posting out of the archive (R4): its text and
// its link to its author are erased, it leaves the search index (through
// the triggers), the mbox and the feed, and a tombstone with the reason and
// date answers at its address. One transaction, with its audit entry.
func (s *Service) Remove(ctx context.Context, who Actor, list string, id int64, reason string) (Tombstone, error) {
	if s.Audit == nil {
		return Tombstone{}, ErrNoAudit
	}
	reason, err := people.CleanText("reason", "The reason", reason, MaxReason, true, true)
	if err != nil {
		return Tombstone{}, ProblemsError{"reason": err.Error()}
	}
	now := s.now()
	var tomb Tombstone
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		p, err := getPost(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.List != strings.ToLower(list) || p.Status != Published {
			return ErrNoPost
		}
		tomb = Tombstone{PostID: p.ID, ListID: p.ListID, ThreadID: p.ThreadID, PostedAt: p.PublishedAt, RemovedAt: now, Reason: reason}
		var posted any
		if p.PublishedAt != nil {
			posted = *p.PublishedAt
		}
		if _, err := tx.Exec(ctx, "INSERT INTO list_tombstones (post_id, list_id, thread_id, message_hash, posted_at, removed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
			p.ID, p.ListID, p.ThreadID, MessageHash(p.MessageID), posted, now, reason); err != nil {
			return fmt.Errorf("keeping a tombstone: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM list_deliveries WHERE post_id = ?", p.ID); err != nil {
			return fmt.Errorf("removing a posting: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM list_posts WHERE id = ?", p.ID); err != nil {
			return fmt.Errorf("removing a posting: %w", err)
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: who.ID, Label: who.Label, Action: "lists.remove",
			Subject: fmt.Sprintf("posting:%d", p.ID), Detail: "list " + p.List + "; reason: " + reason})
	})
	return tomb, err
}

const tombColumns = "post_id, list_id, thread_id, posted_at, removed_at, reason"

func scanTomb(row interface{ Scan(...any) error }) (Tombstone, error) {
	var t Tombstone
	var thread sql.NullInt64
	var posted sql.NullTime
	if err := row.Scan(&t.PostID, &t.ListID, &thread, &posted, &t.RemovedAt, &t.Reason); err != nil {
		return t, err
	}
	t.ThreadID = thread.Int64
	t.RemovedAt = t.RemovedAt.UTC()
	if posted.Valid {
		pt := posted.Time.UTC()
		t.PostedAt = &pt
	}
	return t, nil
}

// TombstoneOf returns the tombstone a removed posting of l left.
func TombstoneOf(ctx context.Context, q store.Querier, l List, id int64) (Tombstone, error) {
	t, err := scanTomb(q.QueryRow(ctx, "SELECT "+tombColumns+" FROM list_tombstones WHERE post_id = ? AND list_id = ?", id, l.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNoPost
	}
	if err != nil {
		return t, fmt.Errorf("reading a tombstone: %w", err)
	}
	return t, nil
}

// TombstonesIn returns the tombstones of a thread's removed postings.
func TombstonesIn(ctx context.Context, q store.Querier, l List, thread int64) ([]Tombstone, error) {
	rows, err := q.Query(ctx, "SELECT "+tombColumns+" FROM list_tombstones WHERE list_id = ? AND thread_id = ? ORDER BY post_id", l.ID, thread)
	if err != nil {
		return nil, fmt.Errorf("reading tombstones: %w", err)
	}
	defer rows.Close()
	var out []Tombstone
	for rows.Next() {
		t, err := scanTomb(rows)
		if err != nil {
			return nil, fmt.Errorf("reading tombstones: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Removed reports whether a message with this Message-ID was removed from
// the list, so that it is not posted or imported back. A removal is of a
// list's posting, as a Message-ID is unique within a list: the same message
// sent to another list of the site is that list's to keep or remove.
func Removed(ctx context.Context, q store.Querier, listID int64, messageID string) (bool, error) {
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM list_tombstones WHERE message_hash = ? AND list_id = ?", MessageHash(messageID), listID).Scan(&n); err != nil {
		return false, fmt.Errorf("checking removed postings: %w", err)
	}
	return n > 0, nil
}
