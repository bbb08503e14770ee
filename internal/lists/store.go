package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"plenary/internal/jobs"
	"plenary/internal/store"
)

// entry is a posting as the one write path stores it, whether it came
// from the web, by mail or from an imported archive.
type entry struct {
	list        List
	contributor Contributor
	messageID   string
	inReplyTo   string
	refs        []string // oldest first
	subject     string
	body        string
	status      string
	at          time.Time
	// imported is set for a message of an imported archive: it is
	// published as of at, and sent to nobody.
	imported    *time.Time
	attachments []Attachment
	// quiet publishes without distribution (the demo's content).
	quiet bool
}

const maxAncestors = 100

var errDuplicate = errors.New("a posting with this Message-ID exists already in this list")

// errRemoved: staff removed the posting with this Message-ID from this
// list; its tombstone keeps it from coming back by mail or by import
// (R4).
var errRemoved = errors.New("the posting with this Message-ID was removed from the archive")

// storePosting keeps one posting with its attachments, files it in its
// thread, adopts the replies that arrived before it, and enqueues its
// distribution when it is published now. It is the only code that
// writes a posting.
func storePosting(ctx context.Context, tx store.Querier, e entry) (int64, error) {
	var dup int
	// A Message-ID is unique within a list: a message sent to several
	// lists of the site is a posting of each (migration 0077).
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM list_posts WHERE list_id = ? AND message_id = ?", e.list.ID, e.messageID).Scan(&dup); err != nil {
		return 0, fmt.Errorf("posting: %w", err)
	}
	if dup > 0 {
		return 0, errDuplicate
	}
	if gone, err := Removed(ctx, tx, e.list.ID, e.messageID); err != nil {
		return 0, err
	} else if gone {
		return 0, errRemoved
	}
	// The ancestors, nearest first: the parent, then References from
	// the newest back.
	var ancestors []string
	seen := map[string]bool{e.messageID: true}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ancestors = append(ancestors, id)
		}
	}
	add(e.inReplyTo)
	for i := len(e.refs) - 1; i >= 0; i-- {
		add(e.refs[i])
	}
	// A References list of hundreds names the same old thread over and
	// over; the nearest hundred place a message as well.
	if len(ancestors) > maxAncestors {
		ancestors = ancestors[:maxAncestors]
	}
	parent := ""
	if len(ancestors) > 0 {
		parent = ancestors[0]
	}
	base, reply := baseSubject(e.subject)
	reply = reply || len(ancestors) > 0
	thread, err := findThread(ctx, tx, e.list.ID, e.messageID, ancestors, base, reply)
	if err != nil {
		return 0, err
	}
	var published any
	if e.status == Published {
		published = e.at
	}
	var imported, threadArg any
	if e.imported != nil {
		imported = *e.imported
	}
	if thread != 0 {
		threadArg = thread
	}
	id, err := store.Insert(ctx, tx, `INSERT INTO list_posts (list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at, refs, base_subject, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.list.ID, e.contributor.ID, e.messageID, parent, threadArg, e.subject, e.body, e.status, e.at, published,
		strings.Join(e.refs, " "), base, imported)
	if store.IsUniqueViolation(err) {
		// The same message arrived at the same moment on another
		// connection, after the count above: the same answer.
		return 0, errDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("keeping a posting: %w", err)
	}
	if thread == 0 {
		thread = id
		if _, err := tx.Exec(ctx, "UPDATE list_posts SET thread_id = ? WHERE id = ?", id, id); err != nil {
			return 0, fmt.Errorf("threading a posting: %w", err)
		}
	}
	if len(ancestors) > 0 {
		args := make([]any, 0, 2*len(ancestors))
		for _, a := range ancestors {
			args = append(args, id, a)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO list_post_refs (post_id, ref) VALUES (?, ?)"+strings.Repeat(", (?, ?)", len(ancestors)-1), args...); err != nil {
			return 0, fmt.Errorf("threading a posting: %w", err)
		}
	}
	// Replies that arrived before this message started threads of their
	// own, each rooted at a posting that names this one; they join.
	// CROSS JOIN keeps SQLite walking from the index of refs, not from
	// every posting of the list.
	rows, err := tx.Query(ctx, `SELECT p.id FROM list_post_refs r CROSS JOIN list_posts p
		WHERE p.id = r.post_id AND r.ref = ? AND p.list_id = ? AND p.thread_id = p.id AND p.id <> ? AND p.id <> ?`, e.messageID, e.list.ID, id, thread)
	if err != nil {
		return 0, fmt.Errorf("threading earlier replies: %w", err)
	}
	var orphans []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, fmt.Errorf("threading earlier replies: %w", err)
		}
		orphans = append(orphans, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("threading earlier replies: %w", err)
	}
	for _, o := range orphans {
		if _, err := tx.Exec(ctx, "UPDATE list_posts SET thread_id = ? WHERE thread_id = ?", thread, o); err != nil {
			return 0, fmt.Errorf("threading earlier replies: %w", err)
		}
	}
	for _, a := range e.attachments {
		data := a.Data
		if data == nil {
			data = []byte{}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO list_attachments (post_id, n, filename, content_type, size, data) VALUES (?, ?, ?, ?, ?, ?)",
			id, a.N, a.Filename, a.ContentType, a.Size, data); err != nil {
			return 0, fmt.Errorf("keeping an attachment: %w", err)
		}
	}
	if e.status == Published && e.imported == nil && !e.quiet {
		key := strconv.FormatInt(id, 10)
		if _, _, err := jobs.Enqueue(ctx, tx, jobs.New{Kind: DistributeKind, Key: key, Payload: key}, e.at); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// findThread returns the thread of the nearest ancestor that is in the
// list; failing that, the thread of the first reply to this message that
// arrived before it; failing that, for a reply, the newest thread whose
// subject is the same once "Re:" and list tags are set aside; or 0 for a
// new thread.
func findThread(ctx context.Context, q store.Querier, listID int64, mid string, ancestors []string, base string, reply bool) (int64, error) {
	if len(ancestors) > 0 {
		args := []any{listID}
		for _, a := range ancestors {
			args = append(args, a)
		}
		rows, err := q.Query(ctx, "SELECT message_id, thread_id FROM list_posts WHERE list_id = ? AND message_id IN (?"+
			strings.Repeat(", ?", len(ancestors)-1)+")", args...)
		if err != nil {
			return 0, fmt.Errorf("threading a posting: %w", err)
		}
		found := map[string]int64{}
		for rows.Next() {
			var mid string
			var t sql.NullInt64
			if err := rows.Scan(&mid, &t); err != nil {
				rows.Close()
				return 0, fmt.Errorf("threading a posting: %w", err)
			}
			found[mid] = t.Int64
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("threading a posting: %w", err)
		}
		for _, a := range ancestors {
			if t := found[a]; t != 0 {
				return t, nil
			}
		}
	}
	// The first reply that came before, chosen here rather than with
	// ORDER BY; CROSS JOIN keeps SQLite walking from the index of refs.
	rows, err := q.Query(ctx, `SELECT p.id, p.thread_id FROM list_post_refs r CROSS JOIN list_posts p
		WHERE p.id = r.post_id AND r.ref = ? AND p.list_id = ?`, mid, listID)
	if err != nil {
		return 0, fmt.Errorf("threading a posting: %w", err)
	}
	var firstID, firstThread int64
	for rows.Next() {
		var pid int64
		var t sql.NullInt64
		if err := rows.Scan(&pid, &t); err != nil {
			rows.Close()
			return 0, fmt.Errorf("threading a posting: %w", err)
		}
		if t.Valid && (firstID == 0 || pid < firstID) {
			firstID, firstThread = pid, t.Int64
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("threading a posting: %w", err)
	}
	if firstThread != 0 {
		return firstThread, nil
	}
	if !reply || base == "" {
		return 0, nil
	}
	var t sql.NullInt64
	err = q.QueryRow(ctx, "SELECT thread_id FROM list_posts WHERE list_id = ? AND base_subject = ? ORDER BY id DESC LIMIT 1", listID, base).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("threading a posting by subject: %w", err)
	}
	return t.Int64, nil
}

var replyPrefix = regexp.MustCompile(`(?i)^\s*(?:(re|aw|sv|antw|vs|ref|fwd?|tr)\s*(?:\[\d+\]|\(\d+\))?\s*:|\[[^\]]{1,60}\])\s*`)

// baseSubject is a subject without its reply and forward prefixes and
// list tags, folded to lower case with single spaces, and whether it
// carried a reply prefix.
func baseSubject(s string) (string, bool) {
	reply := false
	for {
		m := replyPrefix.FindStringSubmatch(s)
		if m == nil {
			break
		}
		if m[1] != "" && !strings.HasPrefix(strings.ToLower(m[1]), "f") && strings.ToLower(m[1]) != "tr" {
			reply = true
		}
		s = s[len(m[0]):]
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s, reply
}
