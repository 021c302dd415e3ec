package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

func init() {
	pinParams = hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}
	passwordParams = pinParams
	// The machine's own hub config (a hub installed where the tests run)
	// is never read: a test names its file by --config or HUBD_CONFIG.
	defaultConfigFile = ""
}

func TestMain(m *testing.M) {
	// A test runs this binary as hubd itself: a real `hubd serve` process.
	if os.Getenv("HONGMAJIA_HUBD_MAIN") == "1" {
		main()
	}
	os.Exit(pgtest.Run(m))
}

var ctx = context.Background()

const examples = "../../deploy/examples"

// hubdIn runs the tool in-process with stdin.
func hubdIn(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&env{stdout: &out, stderr: &errb, stdin: stdin}, args)
	return code, out.String(), errb.String()
}

func hubd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return hubdIn(t, nil, args...)
}

// must runs hubd and fails the test unless it exits 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := hubd(t, args...)
	if code != 0 {
		t.Fatalf("hubd %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

// fails runs hubd and wants exit code want with stderr saying each of say.
func fails(t *testing.T, want int, say []string, args ...string) string {
	t.Helper()
	code, out, stderr := hubd(t, args...)
	if code != want {
		t.Fatalf("hubd %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, stderr)
	}
	wantIn(t, strings.Join(args, " "), stderr, say...)
	return stderr
}

func wantIn(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s: %q not in:\n%s", what, p, text)
		}
	}
}

// newHub is a data directory with centers A and B; store are the flags of
// its store (--db …), none for SQLite.
func newHub(t *testing.T, store ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hub")
	must(t, append([]string{"center", "add", "--id", "A", "--name", "和平里党群服务中心", "--data", dir}, store...)...)
	must(t, append([]string{"center", "add", "--id", "B", "--name", "小黄庄党群服务中心", "--data", dir}, store...)...)
	return dir
}

// withHub opens the hub of dir for a look or a kiosk's sync beside the
// commands.
func withHub(t *testing.T, dir string, fn func(h *hub.Hub)) {
	t.Helper()
	withHubAt(t, &hubFlags{dir: dir}, fn)
}

// withHubAt is withHub of a hub in PostgreSQL (where.db) or SQLite.
func withHubAt(t *testing.T, where *hubFlags, fn func(h *hub.Hub)) {
	t.Helper()
	h, err := openHub(ctx, where, false, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fn(h)
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	code, _, stderr := hubd(t)
	if code != 2 || !strings.Contains(stderr, "usage: hubd") {
		t.Errorf("no arguments: exit %d\n%s", code, stderr)
	}
	fails(t, 2, []string{`unknown command "frobnicate"`}, "frobnicate")
	fails(t, 2, []string{"center add or list"}, "center")
	fails(t, 2, []string{"--id and --name are required"}, "center", "add", "--data", t.TempDir())
	fails(t, 2, []string{"flag provided but not defined: -nope"}, "flags", "--nope")
}

func TestAdminCommandsWantAHub(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	fails(t, 1, []string{"does not exist", "hubd center add"}, "status", "--data", dir)
	empty := t.TempDir()
	fails(t, 1, []string{"no hub in " + empty, "hub.db is missing"}, "flags", "--data", empty)
	if _, err := os.Stat(filepath.Join(empty, "hub.db")); err == nil {
		t.Error("a look made a hub")
	}
}

func TestCenters(t *testing.T) {
	dir := newHub(t)
	out := must(t, "center", "list", "--data", dir)
	wantIn(t, "center list", out, "A", "和平里党群服务中心", "B", "小黄庄党群服务中心")
	fails(t, 1, []string{"center A exists already"}, "center", "add", "--id", "A", "--name", "again", "--data", dir)
	fails(t, 1, []string{"1 to 64 characters"}, "center", "add", "--id", "has space", "--name", "x", "--data", dir)
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, %v; want 0700", st.Mode(), err)
	}
}

// TestBundleAddUnknownCenter: a mistyped center is named plainly, before the
// bundle is read, and nothing is offered.
func TestBundleAddUnknownCenter(t *testing.T) {
	dir := newHub(t)
	bundle := filepath.Join(t.TempDir(), "hongmajia-1.4.2-arm64.bundle")
	if err := os.WriteFile(bundle, []byte("not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := fails(t, 1, []string{"no center Z (hubd center list shows the centers)"}, "bundle", "add", bundle, "--center", "A", "--center", "Z", "--data", dir)
	if strings.Contains(stderr, "not found") || strings.Contains(stderr, "not a release bundle") {
		t.Errorf("bundle add to an unknown center: %s", stderr)
	}
	if out := must(t, "bundle", "list", "--data", dir); strings.Contains(out, "1.4.2") {
		t.Errorf("bundle list after a refused add:\n%s", out)
	}
}

func TestKioskTokenListRevoke(t *testing.T) {
	dir := newHub(t)
	code, tok, stderr := hubd(t, "kiosk", "token", "--center", "A", "--ttl", "2h", "--data", dir)
	tok = strings.TrimSpace(tok)
	if code != 0 || len(tok) != 32 {
		t.Fatalf("kiosk token: exit %d, token %q\n%s", code, tok, stderr)
	}
	// The hint is the README's: the token pasted when kioskctl asks, never on
	// the kiosk's command line (its shell's history would keep it).
	wantIn(t, "kiosk token", stderr, "one-time", "sudo -u hongmajia kioskctl enroll --hub https://HUB", "paste the token", "shown only now")
	if strings.Contains(stderr, "--token "+tok) {
		t.Errorf("kiosk token: the hint puts the token on a command line:\n%s", stderr)
	}
	fails(t, 1, []string{"no center Z"}, "kiosk", "token", "--center", "Z", "--data", dir)
	fails(t, 2, []string{"--center ID is required"}, "kiosk", "token", "--data", dir)

	var fp string
	withHub(t, dir, func(h *hub.Hub) {
		k := hubtest.NewKiosk("T-0001", "A", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
		fp = hubsync.Fingerprint(k.PublicKey())
	})
	out := must(t, "kiosk", "list", "--data", dir)
	wantIn(t, "kiosk list", out, "T-0001", "A", fp, "active")
	must(t, "kiosk", "revoke", "T-0001", "--data", dir)
	wantIn(t, "kiosk list", must(t, "kiosk", "list", "--data", dir), "revoked")
	fails(t, 1, []string{"no kiosk T-9"}, "kiosk", "revoke", "T-9", "--data", dir)
	fails(t, 1, []string{"is revoked"}, "kiosk", "restore-token", "T-0001", "--data", dir)
	withHub(t, dir, func(h *hub.Hub) {
		if _, err := h.KioskKey(ctx, "T-0001"); err == nil {
			t.Error("a revoked kiosk's key is served")
		}
	})
}

func TestRestoreToken(t *testing.T) {
	dir := newHub(t)
	tok := strings.TrimSpace(must(t, "kiosk", "token", "--center", "A", "--data", dir))
	withHub(t, dir, func(h *hub.Hub) {
		k := hubtest.NewKiosk("T1", "A", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
	})
	code, rtok, stderr := hubd(t, "kiosk", "restore-token", "T1", "--data", dir)
	rtok = strings.TrimSpace(rtok)
	if code != 0 || len(rtok) != 32 {
		t.Fatalf("restore-token: exit %d %q\n%s", code, rtok, stderr)
	}
	// kioskctl restore writes only into an empty data directory: the hint
	// says nothing of enrolling first, and keeps the token off the command line.
	wantIn(t, "restore-token", stderr, "terminal T1", "sudo -u hongmajia kioskctl restore --from-hub --hub https://HUB --terminal T1", "paste the token")
	if strings.Contains(stderr, "--token "+rtok) || strings.Contains(stderr, "hubd kiosk token") {
		t.Errorf("restore-token: the hint enrolls first or puts the token on a command line:\n%s", stderr)
	}
	withHub(t, dir, func(h *hub.Hub) {
		// The new card enrolls under T1 and restores with it.
		tok2, _, _ := h.IssueToken(ctx, "A", time.Hour)
		fresh := hubtest.NewKiosk("T1", "A", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, fresh.Meta(), fresh.Enroll(tok2)); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Restore(ctx, fresh.Meta(), hubsync.Restore{Token: rtok, Terminal: "T1"}); err != nil {
			t.Errorf("restore with the printed token: %v", err)
		}
	})
	fails(t, 1, []string{"no kiosk T9"}, "kiosk", "restore-token", "T9", "--data", dir)
}

func TestImport(t *testing.T) {
	dir := newHub(t)
	out := must(t, "import", "people", filepath.Join(examples, "people.csv"), "--preview", "--data", dir)
	wantIn(t, "preview", out, "would import", "HPL0001", "王堃", "no problems", "the preview changed nothing")
	withHub(t, dir, func(h *hub.Hub) {
		if _, err := h.FindPerson(ctx, "HPL0001"); err == nil {
			t.Error("the preview imported")
		}
	})
	out = must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	wantIn(t, "import people", out, "imported", "people")
	withHub(t, dir, func(h *hub.Hub) {
		p, err := h.FindPerson(ctx, "HPL0001")
		if err != nil || p.Name != "王堃" || p.Phone != "13910230001" {
			t.Errorf("HPL0001: %+v, %v", p, err)
		}
	})
	// All or nothing: a new row and a member number the hub holds.
	bad := writeFile(t, "more.csv", "志愿者编号,姓名,志愿者类型\nHPL0100,新人,红马甲\nHPL0001,王堃,红马甲\nHPL0101,,红马甲\n")
	stderr := fails(t, 1, []string{"line 3", "志愿者编号", "already at the hub", "line 4", "姓名", "2 problem(s): nothing imported"}, "import", "people", bad, "--data", dir)
	if strings.Index(stderr, "line 3") > strings.Index(stderr, "line 4") {
		t.Errorf("problems not in line order:\n%s", stderr)
	}
	withHub(t, dir, func(h *hub.Hub) {
		if _, err := h.FindPerson(ctx, "HPL0100"); err == nil {
			t.Error("a file with problems imported its good row")
		}
	})

	fails(t, 2, []string{"give --center ID"}, "import", "activities", filepath.Join(examples, "activities.csv"), "--data", dir)
	out = must(t, "import", "activities", filepath.Join(examples, "activities.csv"), "--center", "A", "--data", dir)
	wantIn(t, "import activities", out, "6 activities")
	fails(t, 1, []string{"already at the hub", "nothing imported"}, "import", "activities", filepath.Join(examples, "activities.csv"), "--center", "A", "--data", dir)

	fails(t, 1, []string{"库存", "needs the center", "nothing imported"}, "import", "catalog", filepath.Join(examples, "catalog.csv"), "--data", dir)
	out = must(t, "import", "catalog", filepath.Join(examples, "catalog.csv"), "--center", "A", "--data", dir)
	wantIn(t, "import catalog", out, "10 new items", "units of stock")
	// Another center's stock of the same catalog: the items are the same.
	out = must(t, "import", "catalog", filepath.Join(examples, "catalog.csv"), "--center", "B", "--data", dir)
	wantIn(t, "import catalog B", out, "0 new items")
	fails(t, 2, []string{"want people, activities or catalog"}, "import", "shifts", "x.csv", "--data", dir)
}

func TestCardBlock(t *testing.T) {
	dir := newHub(t)
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	out := must(t, "card", "block", "3a7f2c91", "--data", dir)
	wantIn(t, "card block", out, "3A7F2C91", "HPL0001", "王堃", "every kiosk refuses it")
	withHub(t, dir, func(h *hub.Hub) {
		tok, _, _ := h.IssueToken(ctx, "A", time.Hour)
		k := hubtest.NewKiosk("T1", "A", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
		p, err := h.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: "T1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cards {
			if (c.UID == "3A7F2C91") != (c.State == hubsync.CardRevoked) {
				t.Errorf("card %s is %s", c.UID, c.State)
			}
		}
	})
	fails(t, 1, []string{"not known at the hub", "nothing was blocked"}, "card", "block", "DEADBEEF", "--data", dir)
	fails(t, 2, []string{"UID"}, "card", "block", "not-a-card", "--data", dir)
}

func TestStaffAdd(t *testing.T) {
	dir := newHub(t)
	code, out, stderr := hubdIn(t, strings.NewReader("2468\n2468\n"), "staff", "add", "--center", "A", "--name", "张三", "--card", "5B8E1D09", "--role", "technician", "--data", dir)
	if code != 0 {
		t.Fatalf("staff add: exit %d\n%s", code, stderr)
	}
	wantIn(t, "staff add", out, "technician", "张三", "5B8E1D09", "center A")
	withHub(t, dir, func(h *hub.Hub) {
		tok, _, _ := h.IssueToken(ctx, "A", time.Hour)
		k := hubtest.NewKiosk("T1", "A", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
		p, err := h.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: "T1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Staff) != 1 || !hub.PINMatches("2468", p.Staff[0].PINHash) || strings.Contains(p.Staff[0].PINHash, "2468") {
			t.Errorf("staff %+v", p.Staff)
		}
	})
	fails(t, 2, []string{"never given on the command line"}, "staff", "add", "--center", "A", "--name", "x", "--card", "5B8E1D0A", "--pin=1234", "--data", dir)
	code, _, stderr = hubdIn(t, strings.NewReader("2468\n1357\n"), "staff", "add", "--center", "A", "--name", "x", "--card", "5B8E1D0A", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "differ") {
		t.Errorf("PINs that differ: exit %d\n%s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("12\n12\n"), "staff", "add", "--center", "A", "--name", "x", "--card", "5B8E1D0A", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "4 to 12 digits") {
		t.Errorf("a short PIN: exit %d\n%s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("2468\n2468\n"), "staff", "add", "--center", "Z", "--name", "x", "--card", "5B8E1D0A", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "no center Z") {
		t.Errorf("unknown center: exit %d\n%s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("2468\n2468\n"), "staff", "add", "--center", "A", "--name", "y", "--card", "5B8E1D09", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "staff card of center A") {
		t.Errorf("a card in use: exit %d\n%s", code, stderr)
	}
}

func TestPolicy(t *testing.T) {
	dir := newHub(t)
	out := must(t, "policy", "show", "--data", dir)
	wantIn(t, "policy show", out, "500 points", "168h0m0s", "none")
	out = must(t, "policy", "set", "--offline-cap", "200", "--expire-months", "24", "--data", dir)
	wantIn(t, "policy set", out, "200 points", "168h0m0s", "24 months")
	must(t, "policy", "set", "--max-sync-age", "0", "--data", dir)
	withHub(t, dir, func(h *hub.Hub) {
		p, err := h.Policy(ctx)
		if err != nil || p.OfflineCapPoints != 200 || p.MaxSyncAge != 0 || p.PointsExpireMonths != 24 {
			t.Errorf("policy %+v, %v", p, err)
		}
	})
	fails(t, 2, []string{"give --offline-cap"}, "policy", "set", "--data", dir)
	fails(t, 2, []string{"0 (none) or more"}, "policy", "set", "--offline-cap", "-5", "--data", dir)
}

// syncKiosks gives the hub in dir two kiosks with entries: a walk-in and a
// double spend.
func syncKiosks(t *testing.T, dir string) {
	t.Helper()
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	withHub(t, dir, func(h *hub.Hub) {
		p, err := h.FindPerson(ctx, "HPL0001")
		if err != nil {
			t.Fatal(err)
		}
		var ks []*hubtest.Kiosk
		for _, c := range []string{"A", "B"} {
			tok, _, _ := h.IssueToken(ctx, c, time.Hour)
			k := hubtest.NewKiosk("T-"+c, c, clock.Real{}.Now)
			if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
				t.Fatal(err)
			}
			ks = append(ks, k)
		}
		ks[0].AddChange(&hubsync.Person{ID: 4242, MemberNo: "W-4242", Provisional: true, Kind: 4}, nil)
		ks[0].Earn(4242, "0A0B0C0D", 1, 60, 10)
		ks[0].Earn(p.ID, "3A7F2C91", 1, 60, 30)
		ks[0].Redeem(p.ID, "3A7F2C91", 1, 1, 25)
		ks[1].Redeem(p.ID, "3A7F2C91", 1, 1, 25)
		for _, k := range ks {
			res, err := h.Push(ctx, k.Meta(), k.Push())
			if err != nil || res.Refused != "" {
				t.Fatalf("push: %+v, %v", res, err)
			}
		}
	})
}

func TestFlagsStatusAndMerge(t *testing.T) {
	dir := newHub(t)
	must(t, "kiosk", "token", "--center", "B", "--data", dir)
	out := must(t, "flags", "--data", dir)
	wantIn(t, "flags", out, "no open flags")
	syncKiosks(t, dir)
	out = must(t, "flags", "--data", dir)
	wantIn(t, "flags", out, "walk-in", "W-4242", "hubd person merge W-4242", "double spend", "-20 points")

	out = must(t, "status", "--data", dir)
	wantIn(t, "status", out, "hub key", "T-A", "T-B", "ok")
	code, js, _ := hubd(t, "status", "--json", "--data", dir)
	if code != 0 {
		t.Fatal("status --json")
	}
	wantIn(t, "status --json", js, `"terminal": "T-A"`, `"acked_seq": 5`, `"center_name": "和平里党群服务中心"`, `"lag": 0`)

	out = must(t, "person", "merge", "W-4242", "HPL0002", "--data", dir)
	wantIn(t, "person merge", out, "merged W-4242", "HPL0002", "李喆", "10 points")
	out = must(t, "flags", "--data", dir)
	if strings.Contains(out, "W-4242") {
		t.Errorf("the walk-in flag is still open:\n%s", out)
	}
	wantIn(t, "flags --all", must(t, "flags", "--all", "--data", dir), "resolved by hubd person merge")
	fails(t, 1, []string{"no person NOBODY"}, "person", "merge", "NOBODY", "HPL0002", "--data", dir)
	fails(t, 1, []string{"merged into"}, "person", "merge", "W-4242", "HPL0003", "--data", dir)
}

func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	fails(t, 1, []string{"plain HTTP only on a loopback address"}, "serve", "--listen", "0.0.0.0:8080", "--data", t.TempDir())
	fails(t, 2, []string{"--cert and --key go together"}, "serve", "--cert", "x.pem", "--data", t.TempDir())
}

// TestServeProcess runs a real `hubd serve` process, on SQLite and on
// PostgreSQL (--db): it answers /healthz, enrolls a kiosk, takes its push
// and answers its pull while an admin command works on the same hub, logs
// a user in to the web, and stops cleanly on SIGTERM.
func TestServeProcess(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testServeProcess(t, &hubFlags{}, "") })
	t.Run("postgresql", func(t *testing.T) {
		srv := pgtest.Start(t)
		pw := passwordFile(t, srv.Password)
		testServeProcess(t, &hubFlags{db: srv.URLWithoutPassword(srv.NewDBName(t)), passwordFile: pw}, srv.Password)
	})
}

// testServeProcess is TestServeProcess on the store of where (its dir
// unset); secret must be in no line of the log.
func testServeProcess(t *testing.T, where *hubFlags, secret string) {
	var store []string
	if where.db != "" {
		store = []string{"--db", where.db, "--db-password-file", where.passwordFile}
	}
	dir := newHub(t, store...)
	where.dir = dir
	at := func(args ...string) []string { return append(append(args, "--data", dir), store...) }
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, at("serve", "--listen", "127.0.0.1:0")...)
	cmd.Env = append(os.Environ(), "HONGMAJIA_HUBD_MAIN=1")
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var logMu sync.Mutex
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatal("hubd serve did not say where it listens")
	}
	url := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url + hubsync.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}

	// An admin command beside the running server, on the same directory.
	tok := strings.TrimSpace(must(t, at("kiosk", "token", "--center", "A")...))
	k := hubtest.NewKiosk("T1", "A", clock.Real{}.Now)
	a, err := k.Send(ctx, client, url, hubsync.PathEnroll, k.Enroll(tok), hubsync.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	var en hubsync.Enrolled
	if err := a.Decode(nil, &en); err == nil {
		t.Fatal("an answer verified without the hub's key")
	}
	var hubKey []byte
	withHubAt(t, where, func(h *hub.Hub) { hubKey = h.PublicKey() })
	if err := a.Decode(hubKey, &en); err != nil {
		t.Fatal(err)
	}
	if en.HubURL != url || en.Center != "A" {
		t.Errorf("enrolled %+v", en)
	}
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	a, err = k.Send(ctx, client, url, hubsync.PathPush, k.Push(), hubsync.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	var res hubsync.PushResult
	if err := a.Decode(hubKey, &res); err != nil || res.Acked != k.Head() {
		t.Fatalf("push: %+v, %v", res, err)
	}
	k.Record(res)
	// The pull hands the kiosk the balance its push made, signed.
	a, err = k.Send(ctx, client, url, hubsync.PathPull, hubsync.Pull{Terminal: "T1"}, hubsync.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	var pulled hubsync.PullResult
	if err := a.Decode(hubKey, &pulled); err != nil {
		t.Fatal(err)
	}
	if pulled.Version == 0 || len(pulled.Balances) != 1 || pulled.Balances[0].Person != 1 || pulled.Balances[0].Points != 10 ||
		pulled.Balances[0].Minutes != 60 || len(pulled.Balances[0].Sig) == 0 {
		t.Errorf("pull: version %d, balances %+v", pulled.Version, pulled.Balances)
	}
	wantIn(t, "status beside serve", must(t, at("status")...), "T1")

	// The web on the same listener: a user added beside the server logs in.
	if code, _, stderr := hubdIn(t, strings.NewReader("web password 1\nweb password 1\n"), at("user", "add", "--role", "district", "--name", "王芳")...); code != 0 {
		t.Fatalf("user add beside serve: exit %d\n%s", code, stderr)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	resp, err = browser.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="login_token" value="([^"]+)"`).FindSubmatch(body)
	if resp.Request.URL.Path != "/login" || m == nil {
		t.Fatalf("GET / without a session: at %s\n%s", resp.Request.URL, body)
	}
	resp, err = browser.PostForm(url+"/login", neturl.Values{"login_token": {string(m[1])}, "name": {"王芳"}, "password": {"web password 1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || !strings.Contains(string(body), "王芳") || !strings.Contains(string(body), "退出") {
		t.Errorf("after the login: at %s\n%s", resp.Request.URL, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	stopped = true
	pw.Close()
	logMu.Lock()
	defer logMu.Unlock()
	if err != nil {
		t.Fatalf("hubd serve after SIGTERM: %v\n%s", err, log.String())
	}
	wantIn(t, "serve log", log.String(), "hubd serving", "web="+url+"/", "path=/v1/push", "terminal=T1", "path=/login", "hubd stopped")
	if strings.Contains(log.String(), tok) {
		t.Error("the enrollment token is in the log")
	}
	if where.db != "" {
		wantIn(t, "serve log", log.String(), `store="postgresql host=127.0.0.1 port=`)
	}
	if secret != "" && strings.Contains(log.String(), secret) {
		t.Error("the database's password is in the log")
	}
	if strings.Contains(log.String(), "web password") {
		t.Error("a password is in the log")
	}
	if _, err := client.Get(url + hubsync.PathHealth); err == nil {
		t.Error("the server still answers after SIGTERM")
	}
}
