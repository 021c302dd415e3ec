package assets

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// KeyProvisional is the catalog key of the words shown in place of the name
// of a walk-in registered at a kiosk by member number only, until the hub
// completes the registration (待补登记): on the screens and in kioskctl's
// exports alike.
const KeyProvisional = "person.provisional"

//go:embed strings/catalog.tsv
var catalogTSV string

//go:embed strings/web.tsv
var webTSV string

// Locale is a language of the catalog. Chinese (zh-CN) is the terminal's
// language; English is there for staff and for tests read by non-readers.
type Locale int

const (
	Chinese Locale = iota // zh-CN
	English               // en
)

func (l Locale) String() string {
	switch l {
	case Chinese:
		return "zh-CN"
	case English:
		return "en"
	}
	return fmt.Sprintf("Locale(%d)", int(l))
}

// ErrCatalog reports a malformed catalog line.
var ErrCatalog = errors.New("assets: malformed catalog")

// Catalog is every string the terminal shows, looked up by key.
type Catalog struct {
	keys []string // in file order
	text map[string][2]string
}

// ParseCatalog reads catalog text: one "key<TAB>zh<TAB>en" per line; blank
// lines and lines starting with '#' are skipped.
func ParseCatalog(src string) (*Catalog, error) {
	c := &Catalog{text: map[string][2]string{}}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want key, zh and en separated by tabs, got %d fields", ErrCatalog, i+1, len(f))
		}
		key, zh, en := f[0], f[1], f[2]
		switch {
		case key == "" || strings.TrimSpace(key) != key:
			return nil, fmt.Errorf("%w: line %d: bad key %q", ErrCatalog, i+1, key)
		case strings.TrimSpace(zh) == "":
			return nil, fmt.Errorf("%w: line %d: key %s has no Chinese text", ErrCatalog, i+1, key)
		case strings.TrimSpace(en) == "":
			return nil, fmt.Errorf("%w: line %d: key %s has no English text", ErrCatalog, i+1, key)
		}
		if _, dup := c.text[key]; dup {
			return nil, fmt.Errorf("%w: line %d: key %s defined twice", ErrCatalog, i+1, key)
		}
		c.keys = append(c.keys, key)
		c.text[key] = [2]string{zh, en}
	}
	return c, nil
}

var (
	catalogOnce sync.Once
	catalog     *Catalog
)

// Strings is the embedded catalog. It panics if the embedded file is
// malformed, which the package's tests rule out before a build ships.
func Strings() *Catalog {
	catalogOnce.Do(func() {
		c, err := ParseCatalog(catalogTSV)
		if err != nil {
			panic(err)
		}
		catalog = c
	})
	return catalog
}

var (
	webOnce    sync.Once
	webCatalog *Catalog
)

// Web is the catalog of the hub's web (strings/web.tsv): the same form as
// the kiosk's, a file of its own. It panics if the embedded file is
// malformed, which the package's tests rule out before a build ships.
func Web() *Catalog {
	webOnce.Do(func() {
		c, err := ParseCatalog(webTSV)
		if err != nil {
			panic(err)
		}
		webCatalog = c
	})
	return webCatalog
}

// Keys lists the catalog's keys in file order.
func (c *Catalog) Keys() []string { return append([]string(nil), c.keys...) }

// Has reports whether key is in the catalog.
func (c *Catalog) Has(key string) bool {
	_, ok := c.text[key]
	return ok
}

// Text is the string for key in locale l. A missing key yields the key in
// brackets, visible on screen rather than blank; tests keep that from
// shipping.
func (c *Catalog) Text(l Locale, key string) string {
	t, ok := c.text[key]
	if !ok || l < Chinese || l > English {
		return "[" + key + "]"
	}
	return t[l]
}

// Format is Text with fmt verbs filled from args.
func (c *Catalog) Format(l Locale, key string, args ...any) string {
	return fmt.Sprintf(c.Text(l, key), args...)
}
