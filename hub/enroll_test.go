package hub_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

func TestEnrollAnswersWhatTheKioskKeeps(t *testing.T) {
	e := newEnv(t)
	if err := e.hub.SetPolicy(ctx, record.Policy{OfflineCapPoints: 300, MaxSyncAge: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	k := hubtest.NewKiosk("T1", "local-center", e.clk.Now)
	k.Earn(7, "04A1B2C3", 1, 60, 10) // a center that started alone holds entries
	en := e.enroll(k, "A")
	if en.Terminal != "T1" || en.Center != "A" || en.CenterName != "和平里党群服务中心" || en.HubURL != "https://hub.test" {
		t.Errorf("enrolled %+v", en)
	}
	if !bytes.Equal(en.HubKey, e.hub.PublicKey()) {
		t.Error("the answer does not carry the hub's key")
	}
	if en.Policy.OfflineCapPoints != 300 || en.Policy.MaxSyncAge != 48*time.Hour {
		t.Errorf("policy %+v", en.Policy)
	}
	if !en.HubTime.Equal(e.clk.Now()) {
		t.Errorf("hub time %v", en.HubTime)
	}
	row := e.kioskRow("T1")
	if row.Center != "A" || !bytes.Equal(row.PublicKey, k.PublicKey()) || row.Head != k.Head() || row.Anchor != (record.Head{}) {
		t.Errorf("kiosk row %+v", row)
	}
	// It joins without losing anything: its first push brings what it held.
	e.pushOK(k)
	if got := e.balance(7).Points; got != 10 {
		t.Errorf("balance after the first push %d, want 10", got)
	}
}

func TestEnrollRefusesBadTokens(t *testing.T) {
	e := newEnv(t)
	tok, exp, err := e.hub.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(e.clk.Now().Add(time.Hour)) {
		t.Errorf("expiry %v", exp)
	}
	k1 := hubtest.NewKiosk("T1", "A", e.clk.Now)
	k2 := hubtest.NewKiosk("T2", "A", e.clk.Now)

	if _, err := e.hub.Enroll(ctx, k1.Meta(), k1.Enroll("not-a-token")); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("unknown token: %v, want ErrToken", err)
	}
	first, err := e.hub.Enroll(ctx, k1.Meta(), k1.Enroll(tok))
	if err != nil {
		t.Fatal(err)
	}
	// The same kiosk again (its answer was lost) is answered again.
	again, err := e.hub.Enroll(ctx, k1.Meta(), k1.Enroll(tok))
	if err != nil || again.Center != first.Center || !bytes.Equal(again.HubKey, first.HubKey) {
		t.Errorf("the same enrollment again: %+v, %v", again, err)
	}
	// Another kiosk with a used token is refused.
	if _, err := e.hub.Enroll(ctx, k2.Meta(), k2.Enroll(tok)); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("used token: %v, want ErrToken", err)
	}
	// An expired one too.
	tok2, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	e.clk.Advance(time.Hour)
	if _, err := e.hub.Enroll(ctx, k2.Meta(), k2.Enroll(tok2)); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("expired token: %v, want ErrToken", err)
	}
	if _, err := e.hub.KioskKey(ctx, "T2"); !errors.Is(err, hubsync.ErrUnknownTerminal) {
		t.Errorf("a refused kiosk is known: %v", err)
	}
	// A token names an existing center.
	if _, _, err := e.hub.IssueToken(ctx, "nowhere", time.Hour); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("token for an unknown center: %v", err)
	}
}

func TestEnrollAgainNeedsARestoreToken(t *testing.T) {
	e := newEnv(t)
	old := e.kiosk("T1", "A")
	old.Earn(1, "04A1B2C3", 1, 60, 10)
	e.pushOK(old)

	// A new SD card with the old terminal's id and a new key.
	fresh := hubtest.NewKiosk("T1", "A", e.clk.Now)
	tok, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	if _, err := e.hub.Enroll(ctx, fresh.Meta(), fresh.Enroll(tok)); !errors.Is(err, hubsync.ErrToken) {
		t.Fatalf("a terminal enrolled already took a new key without a restore token: %v", err)
	}
	if key, _ := e.hub.KioskKey(ctx, "T1"); !bytes.Equal(key, old.PublicKey()) {
		t.Fatal("the refused enrollment changed the key")
	}
	if _, _, err := e.hub.RestoreToken(ctx, "T1", time.Hour); err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	if _, err := e.hub.Enroll(ctx, fresh.Meta(), fresh.Enroll(tok2)); err != nil {
		t.Fatalf("enroll again with a restore token pending: %v", err)
	}
	if key, _ := e.hub.KioskKey(ctx, "T1"); !bytes.Equal(key, fresh.PublicKey()) {
		t.Error("the new key is not the terminal's")
	}
	if row := e.kioskRow("T1"); row.Anchor != old.Head() {
		t.Errorf("the anchor moved: %+v, want %+v", row.Anchor, old.Head())
	}
	// Until restored, its empty ledger is behind the anchor: a fork.
	res := e.push(fresh)
	if !res.Fork || res.Acked != old.Head() {
		t.Errorf("an empty ledger behind its anchor pushed: %+v", res)
	}
}

func TestRevokedKioskIsRefused(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	if err := e.hub.RevokeKiosk(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.KioskKey(ctx, "T1"); !errors.Is(err, hubsync.ErrRevoked) {
		t.Errorf("key of a revoked kiosk: %v", err)
	}
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	if _, err := e.hub.Push(ctx, k.Meta(), k.Push()); !errors.Is(err, hubsync.ErrRevoked) {
		t.Errorf("push of a revoked kiosk: %v", err)
	}
	if _, err := e.hub.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: "T1"}); !errors.Is(err, hubsync.ErrRevoked) {
		t.Errorf("pull of a revoked kiosk: %v", err)
	}
	if len(e.stored("T1")) != 0 {
		t.Error("a revoked kiosk's entries were stored")
	}
	tok, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	if _, err := e.hub.Enroll(ctx, k.Meta(), k.Enroll(tok)); !errors.Is(err, hubsync.ErrRevoked) {
		t.Errorf("a revoked kiosk enrolled again: %v", err)
	}
}

func TestCheckReplayWantsAHigherCounter(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A") // its enrollment used counter 1
	m := k.Meta()           // 2
	if err := e.hub.CheckReplay(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.CheckReplay(ctx, m); !errors.Is(err, hubsync.ErrReplay) {
		t.Errorf("the same counter again: %v, want ErrReplay", err)
	}
	m.Counter = 1
	if err := e.hub.CheckReplay(ctx, m); !errors.Is(err, hubsync.ErrReplay) {
		t.Errorf("a lower counter: %v, want ErrReplay", err)
	}
	m.Counter = 10
	if err := e.hub.CheckReplay(ctx, m); err != nil {
		t.Errorf("a higher counter: %v", err)
	}
	m.Terminal = "nobody"
	if err := e.hub.CheckReplay(ctx, m); !errors.Is(err, hubsync.ErrUnknownTerminal) {
		t.Errorf("unknown terminal: %v", err)
	}
}

func TestHubKeyIsMadeOnceAndKeptPrivate(t *testing.T) {
	dir := t.TempDir()
	k1, err := hub.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, hub.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("hub.key mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := hub.LoadKey(dir)
	if err != nil || !k1.Equal(k2) {
		t.Errorf("a second start made another key (%v)", err)
	}
	if err := os.Chmod(filepath.Join(dir, hub.KeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.LoadKey(dir); err == nil {
		t.Error("a key others can read was used")
	}
}
