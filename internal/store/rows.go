package store

import (
	"context"
	"database/sql"
	"time"
)

// Collect reads every row of rows with scan and closes rows. It returns
// the first error of a scan or of the iteration, so a caller's loop does
// not repeat the Next/Scan/Close/Err dance.
func Collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Scalar scans a row of one column; with Collect it reads a list of ids
// or names.
func Scalar[T any](rows *sql.Rows) (T, error) {
	var v T
	err := rows.Scan(&v)
	return v, err
}

// Values scans the current row whatever its columns, each value as the
// driver gives it: for dumps, exports and tests that read any table. With
// Collect it reads them all.
func Values(rows *sql.Rows) ([]any, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// DeleteOlder runs query, a DELETE whose last placeholder is the moment
// days before now, after args, and returns how many rows went: the
// retention sweeps of every domain. days < 0 means kept for ever: nothing
// is deleted.
func DeleteOlder(ctx context.Context, q Querier, query string, now time.Time, days int, args ...any) (int64, error) {
	if days < 0 {
		return 0, nil
	}
	res, err := q.Exec(ctx, query, append(args, now.UTC().AddDate(0, 0, -days))...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TimeOrNil is a nullable time column as a pointer: nil when NULL.
func TimeOrNil(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
