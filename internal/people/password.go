package people

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/auth"
	"plenary/internal/store"
)

// ChangePassword sets a new password, hashed as passwordHash, for a
// signed-in person who gave the one they had (the caller checks it, with
// the bounded hasher it hashes with). Every session of the person ends,
// so that whoever else held one is out, and every reset link mailed
// before stops working; the history says the person did it, and the
// audit log records it.
func (s *Service) ChangePassword(ctx context.Context, personID int64, passwordHash string, now time.Time) error {
	if s.Audit == nil {
		return ErrNoAudit
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := setPassword(ctx, tx, personID, personID, "password", passwordHash, now); err != nil {
			return err
		}
		if err := auth.UseAllTokens(ctx, tx, auth.PurposeReset, personID, now); err != nil {
			return err
		}
		if err := auth.EndAllSessions(ctx, tx, personID); err != nil {
			return err
		}
		return s.audit(ctx, tx, Actor{ID: personID, Label: "the person"}, "people.password.change", fmt.Sprintf("person:%d", personID),
			"with the current password; every session ended")
	})
}
