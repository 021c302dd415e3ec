package e2e_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/hongmajia/hongmajia/internal/pgtest"
)

var pgFaultSchedules = flag.Int("e2e.pg-schedules", 100, "TestFaultsTwoHubsOnPostgreSQL: how many random schedules it runs")

// TestFaultsTwoHubsOnPostgreSQL is TestFaults on a hub of two hubd serve
// processes sharing one PostgreSQL database and one data directory (the
// hub's keys), as two processes of one district behind a load balancer
// share their configuration: each kiosk's proxy sends each connection to
// one of the two at random (the seed's), so a sync retried after a fault
// may resume on the other, and one of them is killed mid-sync now and then
// and restarted. Afterwards the database holds every entry exactly once,
// every balance agrees and every ledger verifies, as with one process.
func TestFaultsTwoHubsOnPostgreSQL(t *testing.T) {
	seed := faultsSeed(t)
	pg := pgtest.Start(t)
	h := &hubProc{t: t, dir: filepath.Join(t.TempDir(), "hub"), db: pg.URLWithoutPassword(pg.NewDBName(t)), dbPw: pg.Password, log: &logBuf{}}
	for i := 0; i+1 < len(faultCenters); i += 2 {
		h.admin("center", "add", "--id", faultCenters[i], "--name", faultCenters[i+1])
	}
	h.run()
	runFaults(t, seed, *pgFaultSchedules, []*hubProc{h, h.twin()})
}
