package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// VerifyFile runs Verify's checks on a ledger file that is not open as a data
// directory — a backup, a copy a center sent in — read-only, so the file is
// never written to (no WAL, no migration). A file that is not a database is a
// *FileError wrapping ErrNotDatabase; anything else wrong is in the report.
func VerifyFile(ctx context.Context, path string) (*VerifyReport, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	if err := checkHeader(path, st.Size()); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	// Another program's database is not ours to judge; a damaged ledger
	// whose identity cannot be read is checked on, below.
	if err := checkIdentity(ctx, path); errors.Is(err, ErrForeign) {
		return nil, fmt.Errorf("verify: %w", err)
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?"+readOnlyQuery(path))
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	defer db.Close()
	rep := &VerifyReport{Path: path}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, storageErr(err))
	}
	defer tx.Rollback()
	problems, err := checkProblems(ctx, tx, "integrity_check")
	if err != nil {
		rep.add("integrity", "%v", storageErr(err))
	}
	for _, p := range problems {
		rep.add("integrity", "%s", p)
	}
	meta, err := readMeta(ctx, tx)
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	pf, err := loadHubProof(ctx, tx, meta["terminal"])
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	pf.check(rep)
	// Every terminal's chain from its first entry, in one part.
	terms, err := otherTerminals(ctx, tx, "")
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	var ranges []chainRange
	for _, t := range terms {
		ranges = append(ranges, chainRange{terminal: t, from: 1})
	}
	scanned, err := scanChain(ctx, tx, ranges, pf, &entrySource{})
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	part := mergeParts([]*chainPart{scanned}, rep, pf)
	if err := compareStored(ctx, tx, part, rep, pf); err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	if err := checkTriggers(ctx, tx, rep); err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	if err := checkRecords(ctx, tx, meta["terminal"], part.counts(meta["terminal"]), rep); err != nil {
		return rep, fmt.Errorf("verify %s: %w", path, err)
	}
	return rep, nil
}
