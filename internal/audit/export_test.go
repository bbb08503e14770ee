package audit

// LegacyHash exposes the hash entries had before sequence numbers, so a
// test can write a chain as an earlier release did.
func (l *Log) LegacyHash(prev string, e Entry) string { return l.legacyHash(prev, e) }
