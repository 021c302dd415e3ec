package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"time"
)

// CreateAt makes a store in dir with its schema at version v only, as an
// older hubd left it.
func CreateAt(ctx context.Context, dir string, v int) error {
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), time.Second, true))
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, v)
}
