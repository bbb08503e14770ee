package documents

import (
	"context"
	"fmt"
	"strings"

	"plenary/internal/store"
)

// outlineColumns are revisionColumns without the sources: in their place,
// OutlineMark when the revision has that source and "" when it has not.
var outlineColumns = strings.Replace(revisionColumns, "r.xml_source, r.txt_source",
	"CASE WHEN r.xml_source = '' THEN '' ELSE '"+OutlineMark+"' END, CASE WHEN r.txt_source = '' THEN '' ELSE '"+OutlineMark+"' END", 1)

// OutlineMark stands in an outline's XML and Txt for a source it has.
const OutlineMark = "(source not read)"

// GetOutline is Get without reading the latest revision's sources (a few
// hundred kilobytes at most): its XML and Txt are OutlineMark when the
// revision has them, "" when not. A draft page checks its cached
// rendering against the outline on every request and reads the sources
// (Sources) only when it renders (issue 14).
func GetOutline(ctx context.Context, q store.Querier, name, rev string) (Draft, error) {
	return getDraft(ctx, q, outlineColumns, name, rev)
}

// Sources reads a revision's XML source and text rendering.
func Sources(ctx context.Context, q store.Querier, revisionID int64) (xml, txt string, err error) {
	err = q.QueryRow(ctx, "SELECT xml_source, txt_source FROM draft_revisions WHERE id = ?", revisionID).Scan(&xml, &txt)
	if err != nil {
		return "", "", fmt.Errorf("reading a draft revision's sources: %w", err)
	}
	return xml, txt, nil
}
