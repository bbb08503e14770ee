package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/auth"
	"plenary/internal/store"
)

// Records made from public records (a draft's author, made by
// documents.authorRecord) hold an address nobody proved: the record has no
// password and confirmed nothing, so it opens nothing. Whoever proves that
// address's mailbox takes it over: a sign-up with it, or an account adding
// it, is a claim carried by the confirmation link mailed to the address
// (claim), and following the link moves the address to the claimant
// (takeOver), with the drafts' author rows that name it. Until then the
// record keeps the address, so a claim nobody proves changes nothing there.

// neverProven reports whether a person confirmed no address and holds no
// staff role, and whether they have a password: with one, they are a
// sign-up that never proved its mailbox (pendingSignUp); without, a record
// made from a public record (unprovenRecord).
func neverProven(ctx context.Context, q store.Querier, personID int64) (unproven, password bool, err error) {
	var hash string
	var n int
	err = q.QueryRow(ctx, `SELECT p.password_hash, COUNT(e.id) + COUNT(r.role) FROM people p
		LEFT JOIN person_emails e ON e.person_id = p.id AND e.verified_at IS NOT NULL
		LEFT JOIN person_roles r ON r.person_id = p.id AND r.role <> ?
		WHERE p.id = ? GROUP BY p.id, p.password_hash`, string(auth.Participant), personID).Scan(&hash, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("checking whether an account proved an address: %w", err)
	}
	return n == 0, hash != "", nil
}

// unprovenRecord reports whether a person is a record made from a public
// record that nobody has proved: no password, no confirmed address, no
// staff role.
func unprovenRecord(ctx context.Context, q store.Querier, personID int64) (bool, error) {
	unproven, password, err := neverProven(ctx, q, personID)
	return unproven && !password, err
}

// claimable returns addr's row when an unproven record holds it, so that a
// sign-up or an account may claim it (ok false otherwise). Run it after
// releaseUnproven, which frees what needs no proof to free.
func claimable(ctx context.Context, q store.Querier, addr string) (e Email, ok bool, err error) {
	_, e, err = FindByEmail(ctx, q, addr)
	if errors.Is(err, ErrNotFound) {
		return Email{}, false, nil
	}
	if err != nil || e.Verified() {
		return Email{}, false, err
	}
	ok, err = unprovenRecord(ctx, q, e.PersonID)
	return e, ok, err
}

// claim issues the confirmation link by which claimant takes e over, to
// be mailed to e itself. The newest claim is the only one: the links of
// earlier claims stop working, and an earlier sign-up that had nothing but
// its claim goes with them, as an unconfirmed sign-up goes when the
// address is signed up with again.
func claim(ctx context.Context, q store.Querier, claimant int64, e Email, now time.Time) (string, error) {
	if err := endClaims(ctx, q, e.ID, claimant); err != nil {
		return "", err
	}
	return auth.IssueToken(ctx, q, auth.PurposeVerify, claimant, e.ID, auth.VerifyTTL, now)
}

// endClaims deletes every confirmation link for the address emailID except
// those of keep (0 for none), and the sign-ups left with no address and
// no link (pendingSignUp).
func endClaims(ctx context.Context, q store.Querier, emailID, keep int64) error {
	rows, err := q.Query(ctx, "SELECT DISTINCT person_id FROM auth_tokens WHERE email_id = ? AND purpose = ? AND person_id <> ?",
		emailID, auth.PurposeVerify, keep)
	if err != nil {
		return fmt.Errorf("reading the claims on an address: %w", err)
	}
	claimants, err := store.Collect(rows, store.Scalar[int64])
	if err != nil {
		return fmt.Errorf("reading the claims on an address: %w", err)
	}
	if _, err := q.Exec(ctx, "DELETE FROM auth_tokens WHERE email_id = ? AND purpose = ? AND person_id <> ?", emailID, auth.PurposeVerify, keep); err != nil {
		return fmt.Errorf("ending the claims on an address: %w", err)
	}
	for _, id := range claimants {
		pending, err := pendingSignUp(ctx, q, id)
		if err != nil {
			return err
		}
		if !pending {
			continue
		}
		if _, err := q.Exec(ctx, `DELETE FROM people WHERE id = ? AND NOT EXISTS (SELECT 1 FROM person_emails e WHERE e.person_id = people.id)
			AND NOT EXISTS (SELECT 1 FROM auth_tokens t WHERE t.person_id = people.id)`, id); err != nil {
			return fmt.Errorf("replacing a sign-up: %w", err)
		}
	}
	return nil
}

// takeOver settles claimant's claim on the address emailID, whose mailbox
// its link just proved: the address moves to the claimant (their primary
// one when they have none), as typed by them, since they proved its
// mailbox as a sign-up does (the drafts keep the address as they printed
// it, so the public record stays whole); the drafts' author rows that
// name it and were linked to the record, or to no one, are linked to the
// claimant; the other claims end; and the record, left with no address,
// is deleted, or else keeps its other addresses and a history entry that
// an unconfirmed address was released. It returns the address, now the
// claimant's, still to be confirmed (verifyEmail).
func takeOver(ctx context.Context, q store.Querier, claimant, emailID int64, now time.Time) (Email, error) {
	e, err := scanEmail(q.QueryRow(ctx, "SELECT "+emailColumns+" FROM person_emails WHERE id = ?", emailID))
	if err != nil {
		return Email{}, err
	}
	// Someone proved the address meanwhile, or its holder is no longer a
	// record nobody proved: there is nothing left to claim.
	if e.Verified() {
		return Email{}, ErrNotFound
	}
	holder := e.PersonID
	ok, err := unprovenRecord(ctx, q, holder)
	if err != nil {
		return Email{}, err
	}
	if !ok {
		return Email{}, ErrNotFound
	}
	_, err = Primary(ctx, q, claimant)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Email{}, err
	}
	primary := errors.Is(err, ErrNotFound)
	if _, err := q.Exec(ctx, "UPDATE person_emails SET person_id = ?, origin = ?, is_primary = ?, active = ? WHERE id = ?",
		claimant, string(OriginSelf), primary, true, emailID); err != nil {
		return Email{}, fmt.Errorf("taking over an address: %w", err)
	}
	if err := endClaims(ctx, q, emailID, claimant); err != nil {
		return Email{}, err
	}
	if err := linkAuthors(ctx, q, claimant, holder, e.Address); err != nil {
		return Email{}, err
	}
	left, err := Emails(ctx, q, holder)
	if err != nil {
		return Email{}, err
	}
	if len(left) == 0 {
		if err := unlinkAuthors(ctx, q, holder); err != nil {
			return Email{}, err
		}
		if _, err := q.Exec(ctx, "DELETE FROM people WHERE id = ?", holder); err != nil {
			return Email{}, fmt.Errorf("removing a record taken over: %w", err)
		}
	} else {
		if e.Primary {
			if _, err := q.Exec(ctx, "UPDATE person_emails SET is_primary = ? WHERE id = ?", true, left[0].ID); err != nil {
				return Email{}, err
			}
		}
		if err := record(ctx, q, holder, 0, "unconfirmed address released", "", "", now); err != nil {
			return Email{}, err
		}
	}
	return GetEmail(ctx, q, claimant, emailID)
}

// RecordLink returns the person a public record that names the address e
// (a draft's author) is linked to: the address's holder when they
// confirmed it, or when the holder is itself a record made from public
// records; 0 when a claim nobody proved holds it (an unconfirmed sign-up
// or added address), which may yet be replaced: the link is made when the
// address is confirmed (ConfirmAddress, linkAuthors).
func RecordLink(ctx context.Context, q store.Querier, e Email) (int64, error) {
	if e.Verified() {
		return e.PersonID, nil
	}
	ok, err := unprovenRecord(ctx, q, e.PersonID)
	if err != nil || !ok {
		return 0, err
	}
	return e.PersonID, nil
}

// draft_authors.person_id says which participant record an author's
// address belongs to (made or found by documents.authorRecord, declared in
// internal/inventory). The address changes hands here, so the link follows
// it here; the author rows themselves, and the drafts' list of author
// names made from them, stay as the drafts printed them.

// linkAuthors links to person the draft author rows naming addr that are
// linked to no one or to from (0 for no one).
func linkAuthors(ctx context.Context, q store.Querier, person, from int64, addr string) error {
	_, err := q.Exec(ctx, "UPDATE draft_authors SET person_id = ? WHERE (person_id IS NULL OR person_id = ?) AND LOWER(TRIM(email)) = ?",
		person, from, addressKey(addr))
	if err != nil {
		return fmt.Errorf("linking a draft's authors: %w", err)
	}
	return nil
}

// unlinkAuthors unlinks the draft author rows linked to a person about to
// be deleted, so that no link leads nowhere; linkAuthors links them again
// to whoever proves the address they name.
func unlinkAuthors(ctx context.Context, q store.Querier, person int64) error {
	if _, err := q.Exec(ctx, "UPDATE draft_authors SET person_id = NULL WHERE person_id = ?", person); err != nil {
		return fmt.Errorf("unlinking a draft's authors: %w", err)
	}
	return nil
}
