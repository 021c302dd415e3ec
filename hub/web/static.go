package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/assets"
)

//go:embed static
var staticFS embed.FS

// staticFile is one file the web serves under /static/.
type staticFile struct {
	body  []byte
	ctype string
	tag   string // the first 16 hex digits of its SHA-256: its version
}

// staticFiles are the style, scripts and pictures of hub/web/static and
// the kiosk's fonts (assets), which a browser downloads only for a
// character its own fonts lack (style.css names them last).
type staticFiles struct {
	files map[string]staticFile // by path under /static/
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		s.add(strings.TrimPrefix(p, "static/"), b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.add("fonts/NotoSansSC-Regular.otf", assets.FontRegular())
	s.add("fonts/NotoSansSC-Bold.otf", assets.FontBold())
	s.add("fonts/OFL.txt", []byte(assets.FontLicence()))
	return s, nil
}

func (s *staticFiles) add(name string, b []byte) {
	sum := sha256.Sum256(b)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".otf":
		ctype = "font/otf"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".txt":
		ctype = "text/plain; charset=utf-8"
	}
	s.files[name] = staticFile{body: b, ctype: ctype, tag: hex.EncodeToString(sum[:8])}
}

// url is the versioned address of a static file: a browser may keep it for
// a year, since a changed file has another address.
func (s *staticFiles) url(name string) string {
	f, ok := s.files[name]
	if !ok {
		return "/static/" + name + "?missing"
	}
	return "/static/" + name + "?v=" + f.tag
}

// serve serves a static file, with its ETag; for ever from a cache when
// asked for by its versioned address.
func (s *staticFiles) serve(rw http.ResponseWriter, r *http.Request) {
	f, ok := s.files[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.tag+`"`)
	if r.URL.Query().Get("v") == f.tag {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(rw, r, "", time.Time{}, bytes.NewReader(f.body))
}
