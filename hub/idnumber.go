package hub

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/record"
)

// A volunteer's ID document (证件) is sensitive personal data: the national
// rules put its type and number on a certificate of service hours, so the
// hub keeps it, and nothing else does. It is kept sealed (AES-256-GCM with
// the key of IDKeyFile, which never leaves the data directory), shown
// masked, opened only for a certificate (each opening in the audit log),
// never logged and never in a pull: hubsync.Person has no field for it.

// IDKeyFile is the key ID numbers are sealed with, in the data directory:
// 32 random bytes, mode 0600, made on first start like KeyFile. A backup
// of hub.db without it holds no readable ID number.
const IDKeyFile = "id.key"

// IDType is the kind of an ID document, as the national volunteer system
// lists them.
type IDType string

// ID document types.
const (
	IDResident     IDType = "resident"      // 居民身份证
	IDHKMacao      IDType = "hk-macao"      // 港澳居民来往内地通行证
	IDTaiwan       IDType = "taiwan"        // 台湾居民来往大陆通行证
	IDHMTResidence IDType = "hmt-residence" // 港澳台居民居住证
	IDForeignPR    IDType = "foreign-pr"    // 外国人永久居留身份证
	IDPassport     IDType = "passport"      // 护照
)

// IDTypes are every ID document type, in the order a form lists them.
func IDTypes() []IDType {
	return []IDType{IDResident, IDHKMacao, IDTaiwan, IDHMTResidence, IDForeignPR, IDPassport}
}

// Valid reports whether t is one of IDTypes.
func (t IDType) Valid() bool {
	for _, k := range IDTypes() {
		if t == k {
			return true
		}
	}
	return false
}

// ErrIDNumber: an ID number is not of its type's form. Its message never
// holds the number.
var ErrIDNumber = errors.New("hub: the ID number is not of its type's form")

// IDDocument is a person's ID document in clear: only between the page
// that typed it and the sealing, and on a certificate. Printed or logged,
// it shows its number masked.
type IDDocument struct {
	Type   IDType
	Number string
}

// Masked is the number with all but its ends hidden.
func (d IDDocument) Masked() string { return MaskIDNumber(d.Number) }

// String is d with its number masked.
func (d IDDocument) String() string { return string(d.Type) + " " + d.Masked() }

// GoString is d with its number masked, for %#v.
func (d IDDocument) GoString() string {
	return fmt.Sprintf("hub.IDDocument{Type:%q, Number:%q}", d.Type, d.Masked())
}

// Format is d with its number masked for every verb (%v, %+v, %s, %q…).
func (d IDDocument) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, d.GoString())
		return
	}
	io.WriteString(f, d.String())
}

// LogValue is d with its number masked.
func (d IDDocument) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(d.Type)), slog.String("number", d.Masked()))
}

// MaskIDNumber hides all but the ends of an ID number: the first four and
// last four characters of a long one (1101**********1234), fewer of a
// short one, nothing of one of three characters or fewer.
func MaskIDNumber(n string) string {
	r := []rune(n)
	keep := 0
	switch {
	case len(r) >= 12:
		keep = 4
	case len(r) >= 8:
		keep = 2
	case len(r) >= 4:
		keep = 1
	}
	if keep == 0 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-2*keep) + string(r[len(r)-keep:])
}

// NormalizeIDNumber is s as an ID number of type t: spaces and dashes
// taken out, letters upper case, checked against the type's form (a
// resident ID's birth date and check digit too). The error wraps
// ErrIDNumber and never holds the number.
func NormalizeIDNumber(t IDType, s string) (string, error) {
	n := strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\u3000':
			return -1
		}
		return r
	}, s))
	if !t.Valid() {
		return "", fmt.Errorf("ID type %q: %w", t, ErrIDNumber)
	}
	ok := false
	switch t {
	case IDResident, IDHMTResidence:
		ok = residentID(n)
		if ok && t == IDHMTResidence {
			// Issued under 810000 (Hong Kong), 820000 (Macao), 830000 (Taiwan).
			ok = strings.HasPrefix(n, "81") || strings.HasPrefix(n, "82") || strings.HasPrefix(n, "83")
		}
	case IDHKMacao:
		// H or M and 8 digits, or 10 on the older cards.
		ok = (len(n) == 9 || len(n) == 11) && (n[0] == 'H' || n[0] == 'M') && digits(n[1:])
	case IDTaiwan:
		ok = (len(n) == 8 || len(n) == 10) && digits(n)
	case IDForeignPR:
		// Three letters and 12 digits (2004), or 18 characters from 9 (2023).
		ok = (len(n) == 15 && letters(n[:3]) && digits(n[3:])) || (len(n) == 18 && n[0] == '9' && residentChecksum(n))
	case IDPassport:
		ok = len(n) >= 5 && len(n) <= 20 && alnum(n)
	}
	if !ok {
		return "", fmt.Errorf("%s number: %w", t, ErrIDNumber)
	}
	return n, nil
}

// residentID: 18 characters (GB 11643): 6 digits of place, a birth date
// that is a real day, 3 digits, a check character.
func residentID(n string) bool {
	if len(n) != 18 || !residentChecksum(n) {
		return false
	}
	d, err := time.Parse("20060102", n[6:14])
	return err == nil && d.Year() >= 1900
}

// residentChecksum checks an 18-character number's last character: ISO
// 7064 MOD 11-2 over the first 17 digits.
func residentChecksum(n string) bool {
	if len(n) != 18 || !digits(n[:17]) {
		return false
	}
	sum := 0
	for i := range 17 {
		w := 1
		for range 17 - i {
			w = w * 2 % 11
		}
		sum += int(n[i]-'0') * w
	}
	return n[17] == "10X98765432"[sum%11]
}

func digits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func letters(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}

func alnum(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && (r < 'A' || r > 'Z') }) < 0
}

// SealedID is a person's ID document as the store keeps it: its type, and
// its number sealed with the hub's ID key (never in clear).
type SealedID struct {
	Person    record.PersonID
	Type      IDType
	Sealed    []byte
	Changed   time.Time
	ChangedBy string // the user who typed it
}

// idSealer seals and opens ID numbers with the key of IDKeyFile.
type idSealer struct{ aead cipher.AEAD }

// sealVersion is the first byte of a sealed number: its format (AES-256-GCM,
// a random 12-byte nonce after it), so that a new key or cipher can come
// beside it.
const sealVersion = 1

// loadIDKey reads dir's ID key, making it on first use.
func loadIDKey(dir string) (*idSealer, error) {
	path := filepath.Join(dir, IDKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("hub: make ID key: %w", err)
		}
		err = atomicfile.Write(path, 0o600, func(w io.Writer) error { _, err := w.Write(key); return err })
		if err != nil {
			return nil, fmt.Errorf("hub: write ID key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("hub: read ID key: %w", err)
	} else {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("hub: read ID key: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("hub: %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("hub: %s holds %d bytes, not an AES-256 key", path, len(key))
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hub: ID key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("hub: ID key: %w", err)
	}
	return &idSealer{aead: aead}, nil
}

// additional binds a sealed number to where it is kept (a person's row, a
// certificate) and to its type: a sealed number copied to another row, or
// its type changed, does not open.
func additional(where string, t IDType) []byte {
	return []byte("hongmajia id v1\x00" + where + "\x00" + string(t))
}

func personWhere(p record.PersonID) string {
	return "person:" + string(binary.BigEndian.AppendUint64(nil, uint64(p)))
}

func certificateWhere(number string) string { return "certificate:" + number }

func (s *idSealer) seal(where string, d IDDocument) []byte {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(d.Number)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("hub: crypto/rand: " + err.Error())
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, []byte(d.Number), additional(where, d.Type))
}

func (s *idSealer) open(where string, t IDType, sealed []byte) (IDDocument, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return IDDocument{}, errors.New("hub: a sealed ID number of an unknown form")
	}
	n, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], additional(where, t))
	if err != nil {
		// Another key (id.key replaced) or a row changed outside the hub.
		return IDDocument{}, errors.New("hub: a sealed ID number does not open with this hub's ID key")
	}
	return IDDocument{Type: t, Number: string(n)}, nil
}
