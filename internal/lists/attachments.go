package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"plenary/internal/store"
)

// AttachmentInfo is an attachment as a posting's page lists it.
type AttachmentInfo struct {
	N           int
	Filename    string
	ContentType string
	Size        int64 // -1 when it was too large to keep
}

// AttachmentsOf lists a posting's attachments in their order.
func AttachmentsOf(ctx context.Context, q store.Querier, postID int64) ([]AttachmentInfo, error) {
	rows, err := q.Query(ctx, "SELECT n, filename, content_type, size FROM list_attachments WHERE post_id = ? ORDER BY n", postID)
	if err != nil {
		return nil, fmt.Errorf("listing attachments: %w", err)
	}
	defer rows.Close()
	var out []AttachmentInfo
	for rows.Next() {
		var a AttachmentInfo
		if err := rows.Scan(&a.N, &a.Filename, &a.ContentType, &a.Size); err != nil {
			return nil, fmt.Errorf("listing attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ErrNoAttachment: the posting has no such attachment, or it was too
// large to keep.
var ErrNoAttachment = errors.New("There is no such attachment.")

// AttachmentFile returns attachment n of a published posting of list,
// with the type it may be served as (SafeType).
func AttachmentFile(ctx context.Context, q store.Querier, list string, postID int64, n int) (AttachmentInfo, []byte, error) {
	var a AttachmentInfo
	var data []byte
	err := q.QueryRow(ctx, `SELECT a.n, a.filename, a.content_type, a.size, a.data FROM list_attachments a
		JOIN list_posts p ON p.id = a.post_id JOIN lists l ON l.id = p.list_id
		WHERE l.name = ? AND p.id = ? AND p.status = ? AND a.n = ?`, strings.ToLower(list), postID, Published, n).Scan(&a.N, &a.Filename, &a.ContentType, &a.Size, &data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && a.Size < 0) {
		return a, nil, ErrNoAttachment
	}
	if err != nil {
		return a, nil, fmt.Errorf("reading an attachment: %w", err)
	}
	a.ContentType = SafeType(a.ContentType)
	return a, data, nil
}

// safeTypes are the types an attachment is served as; anything else
// (HTML, SVG, scripts, unknown types) goes out as
// application/octet-stream, so a download can never run as a page of the
// site.
var safeTypes = map[string]bool{
	"application/pdf": true, "application/zip": true, "application/gzip": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"text/plain": true, "text/csv": true, "message/rfc822": true,
	"application/msword": true, "application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.ms-powerpoint": true, "application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	"application/vnd.ms-excel": true, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true,
}

// SafeType is the content type an attachment of type t is served with.
func SafeType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if safeTypes[t] {
		return t
	}
	return "application/octet-stream"
}
