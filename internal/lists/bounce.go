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

	"plenary/internal/audit"
	"plenary/internal/store"
)

// Bounces: list mail goes out with the return path NAME-bounces+TOKEN@
// (VERP), where TOKEN names the subscription, so a bounce says whose
// address failed without reading the bounce's text. A subscription whose
// mail bounced BounceLimit times within BounceDays stops receiving
// (disabled_at) until its subscriber subscribes again.
const (
	BounceLimit = 3
	BounceDays  = 14
)

// bounceTokenLen is how much of the subscription's secret token goes in
// the return path, so that NAME-bounces+ID-TOKEN stays within the 64
// characters a local part may have.
const bounceTokenLen = 10

// BounceAddress is the return path of list mail to a subscription.
func BounceAddress(list string, subID int64, token, domain string) string {
	if len(token) > bounceTokenLen {
		token = token[:bounceTokenLen]
	}
	return list + "-bounces+" + strconv.FormatInt(subID, 36) + "-" + token + "@" + domain
}

var dsnStatus = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)

// BounceStatus reads what came back to a list's return path: the status
// code of a failed delivery (such as 5.1.1; "unknown" for a report that
// says "failed" without a code), or "" for anything that is not a report
// of a failed delivery, which is then not counted. The return path gets
// more than bounces: absence notices and other automatic replies (RFC
// 3834) go to it too, and counting those would stop the subscription of
// everyone on holiday. What counts is a delivery status notification
// (RFC 3464, or RFC 6533's for international mail) whose action is
// "failed" or whose status is 5.x.x, and, for mail servers that still
// send them, a plain-text bounce from MAILER-DAEMON or postmaster naming
// a 5.x.x status.
func BounceStatus(raw []byte) string {
	p, err := ParseMessage(raw)
	if err != nil {
		return ""
	}
	for _, a := range p.Attachments {
		if a.ContentType != "message/delivery-status" && a.ContentType != "message/global-delivery-status" {
			continue
		}
		failed, code := false, ""
		for _, line := range strings.Split(string(a.Data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.ToLower(strings.TrimSpace(v))
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "action":
				if v == "failed" {
					failed = true
				}
			case "status":
				if m := dsnStatus.FindString(v); m != "" && (code == "" || strings.HasPrefix(m, "5.")) {
					code = m
				}
			}
		}
		switch {
		case strings.HasPrefix(code, "5."):
			return code
		case failed && code != "" && !strings.HasPrefix(code, "2."):
			return code
		case failed:
			return "unknown"
		}
		return "" // delayed, delivered, relayed, expanded
	}
	from, _, _ := strings.Cut(strings.ToLower(p.FromAddress), "@")
	if from != "mailer-daemon" && from != "postmaster" {
		return ""
	}
	for _, m := range dsnStatus.FindAllString(p.Text, -1) {
		if strings.HasPrefix(m, "5.") {
			return m
		}
	}
	return ""
}

// RecordBounce records a bounce of list mail to the subscription the
// token of its return path names, and disables the subscription at the
// BounceLimit-th bounce within BounceDays, each with its audit entry. A
// token that names no subscription (any more) is ignored, and so is a
// report that is not a failure (status ""). The subscription stays, with
// its consent on record: the subscriber did not withdraw it, and gets
// mail again by subscribing again.
func (s *Service) RecordBounce(ctx context.Context, list, token, status string) error {
	if status == "" {
		return nil
	}
	if s.Audit == nil {
		return ErrNoAudit
	}
	idPart, secret, ok := strings.Cut(token, "-")
	id, err := strconv.ParseInt(idPart, 36, 64)
	if !ok || err != nil || len(secret) != bounceTokenLen {
		return nil
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		var full string
		var disabled sql.NullTime
		err := tx.QueryRow(ctx, `SELECT s.token, s.disabled_at FROM list_subscriptions s JOIN lists l ON l.id = s.list_id
			WHERE s.id = ? AND l.name = ? AND s.confirmed_at IS NOT NULL`, id, strings.ToLower(list)).Scan(&full, &disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("recording a bounce: %w", err)
		}
		if !strings.HasPrefix(full, secret) {
			return nil
		}
		return bounceTx(ctx, tx, s.Audit, list, id, status, disabled.Valid, now)
	})
}

// bounceTx records, in tx, one failed delivery of list mail to the
// subscription id, with its audit entry, and disables the subscription
// (unless already disabled) at the BounceLimit-th within BounceDays. Both
// bounces that come back by mail and copies the mail server refuses at
// once (refused.go) go through here, so they count alike.
func bounceTx(ctx context.Context, tx *store.Tx, aud *audit.Log, list string, id int64, status string, disabled bool, now time.Time) error {
	if _, err := tx.Exec(ctx, "INSERT INTO list_bounces (subscription_id, received_at, status) VALUES (?, ?, ?)", id, now, status); err != nil {
		return fmt.Errorf("recording a bounce: %w", err)
	}
	if err := aud.Record(ctx, tx, audit.Entry{Label: "bounce", Action: "lists.bounce",
		Subject: fmt.Sprintf("subscription:%d", id), Detail: "list " + list + ", status " + status}); err != nil {
		return err
	}
	if disabled {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM list_bounces WHERE subscription_id = ? AND received_at > ?",
		id, now.AddDate(0, 0, -BounceDays)).Scan(&n); err != nil {
		return fmt.Errorf("counting bounces: %w", err)
	}
	if n < BounceLimit {
		return nil
	}
	if _, err := tx.Exec(ctx, "UPDATE list_subscriptions SET disabled_at = ? WHERE id = ?", now, id); err != nil {
		return fmt.Errorf("disabling a subscription: %w", err)
	}
	return aud.Record(ctx, tx, audit.Entry{Label: "bounce", Action: "lists.disable",
		Subject: fmt.Sprintf("subscription:%d", id), Detail: fmt.Sprintf("list %s, %d bounces in %d days", list, n, BounceDays)})
}

// SweepBounces deletes bounce records older than days (U3).
func SweepBounces(ctx context.Context, q store.Querier, now time.Time, days int) (int64, error) {
	n, err := store.DeleteOlder(ctx, q, "DELETE FROM list_bounces WHERE received_at < ?", now, days)
	if err != nil {
		return 0, fmt.Errorf("sweeping bounce records: %w", err)
	}
	return n, nil
}
