// Package hub is the district hub: the registry every kiosk of a district
// pulls (people, cards, activities, the catalog, stock, staff, policy, each
// change with a version), the entries every kiosk pushes (checked against
// the terminal's chain and anchor, stored exactly once), the district
// balances it signs for the kiosks, the flags a person reads, enrollment
// and restore.
//
// It imports the record, the protocol (hubsync), the roster reader and the
// clock, never the kiosk's ledger: it decodes and checks entries from their
// canonical encoding alone. Everything it keeps is behind Store.
package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// KeyFile is the hub's ed25519 key in the data directory: its 32-byte seed,
// mode 0600, made on first start. Every answer a kiosk applies is signed
// with it.
const KeyFile = "hub.key"

// Defaults of Options.
const (
	// DefaultStaleAfter: a kiosk that has not synced for this long is
	// flagged (its nightly sync failed three nights running).
	DefaultStaleAfter = 3 * 24 * time.Hour
	// DefaultTokenTTL is how long an enrollment or restore token is good
	// for when no other time is given.
	DefaultTokenTTL = 24 * time.Hour
)

// CloneWindow: one card used at two centers less than this apart is
// flagged as a likely clone. Two centers of a street district are a walk of
// ten minutes or more apart.
const CloneWindow = 5 * time.Minute

// RestorePage is the most entries one restore answer carries (a few MB).
const RestorePage = 20000

// A PIN is MinPINDigits to MaxPINDigits digits: the kiosk's PIN pad takes
// as many (the kiosk's ledger keeps the same limits).
const (
	MinPINDigits = 4
	MaxPINDigits = 12
)

// PINParams are argon2id's costs for a staff PIN hash. The costs go with
// each hash, so a kiosk checks a PIN with the costs it was hashed with.
type PINParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultPINParams are the kiosk's (RFC 9106's second recommendation): a
// few hundred ms on a Raspberry Pi, once per staff login.
var DefaultPINParams = PINParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Options configure a Hub.
type Options struct {
	// Store holds everything; the Hub closes it.
	Store Store
	// Clock: clock.Real{} when nil.
	Clock clock.Clock
	// Log: slog.Default() when nil.
	Log *slog.Logger
	// URL is the hub's address as kiosks reach it, sent at enrollment;
	// "" leaves it to the server (the address the kiosk used).
	URL string
	// StaleAfter: DefaultStaleAfter when 0.
	StaleAfter time.Duration
	// PIN: DefaultPINParams when zero (tests make them cheap).
	PIN PINParams
	// Password: DefaultPasswordParams when zero (tests make them cheap).
	Password PINParams
}

// Hub is the district hub. Its methods are safe for concurrent use.
type Hub struct {
	store Store
	clk   clock.Clock
	log   *slog.Logger
	key   ed25519.PrivateKey
	// dataDir holds the keys and the bundles offered (BundlesDir).
	dataDir string
	ids     *idSealer // seals ID numbers (IDKeyFile)
	opts    Options
	// pullLimit and restorePage are hubsync.MaxPullRows and RestorePage;
	// tests make them small.
	pullLimit, restorePage int
	// hashing holds a slot for each password hash running (hashSlots).
	hashing chan struct{}
	// dummy is the hash a login of an unknown name is checked against.
	dummyOnce sync.Once
	dummy     string
	dummyErr  error
	// sums are the dashboard's sums of periods no entry came into since
	// (tallycache.go).
	sums tallyCache
	// observer hears what a monitor counts (Observe).
	observer atomic.Pointer[observer]
}

// Open opens the hub of dataDir (made when missing, 0700): its keys (KeyFile
// and IDKeyFile), made on first start, and opts.Store.
func Open(ctx context.Context, dataDir string, opts Options) (*Hub, error) {
	if opts.Store == nil {
		return nil, errors.New("hub: open: no store")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if opts.PIN == (PINParams{}) {
		opts.PIN = DefaultPINParams
	}
	if opts.Password == (PINParams{}) {
		opts.Password = DefaultPasswordParams
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("hub: open: %w", err)
	}
	key, err := LoadKey(dataDir)
	if err != nil {
		return nil, err
	}
	ids, err := loadIDKey(dataDir)
	if err != nil {
		return nil, err
	}
	return &Hub{store: opts.Store, clk: opts.Clock, log: opts.Log, key: key, dataDir: dataDir, ids: ids, opts: opts,
		pullLimit: hubsync.MaxPullRows, restorePage: RestorePage, hashing: make(chan struct{}, hashSlots)}, nil
}

// LoadKey reads the hub's key from dir, making it on first use.
func LoadKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("hub: make key: %w", err)
		}
		err = atomicfile.Write(path, 0o600, func(w io.Writer) error { _, err := w.Write(seed); return err })
		if err != nil {
			return nil, fmt.Errorf("hub: write key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: read key: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hub: read key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("hub: %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("hub: %s holds %d bytes, not an ed25519 seed of %d", path, len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Close closes the store.
func (h *Hub) Close() error { return h.store.Close() }

// PublicKey is the hub's public key, which kiosks learn at enrollment.
func (h *Hub) PublicKey() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

// Fingerprint is the hub key's fingerprint, for a technician to compare.
func (h *Hub) Fingerprint() string { return hubsync.Fingerprint(h.PublicKey()) }

// Key is the hub's private key: the server signs its answers with it.
func (h *Hub) Key() ed25519.PrivateKey { return h.key }

// Clock is the hub's clock.
func (h *Hub) Clock() clock.Clock { return h.clk }

func (h *Hub) now() time.Time { return h.clk.Now() }
