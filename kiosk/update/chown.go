package update

import (
	"io/fs"
	"os"
	"syscall"
)

// chownLike gives path the owner of st's file, when it can (as root): a
// ledger put back by a technician's sudo stays the kiosk user's.
func chownLike(path string, st fs.FileInfo) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = os.Chown(path, int(s.Uid), int(s.Gid))
	}
}
