package server_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
)

// getBundle sends a signed GET of the bundle sum as k with the headers
// extra, its body body (a GET's is empty; the signature is over it), and
// reads the answer as it came.
func (e *env) getBundle(k *hubtest.Kiosk, sum string, body []byte, extra http.Header) (hubtest.Answer, http.Header) {
	e.t.Helper()
	m := k.Meta()
	r, err := http.NewRequest(http.MethodGet, e.url+hubsync.PathBundle+sum, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for h, v := range extra {
		r.Header[h] = v
	}
	hubsync.SignRequest(k.Key, r, body, m)
	r.Header.Set("Accept-Encoding", "gzip")
	resp, err := e.client.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return hubtest.Answer{Status: resp.StatusCode, Body: b, Sig: resp.Header.Get(hubsync.HeaderSignature), Meta: m}, resp.Header
}

// pushAs tells the hub what k runs.
func (e *env) pushAs(k *hubtest.Kiosk, version, arch string) {
	e.t.Helper()
	p := k.Push()
	p.Version, p.Arch = version, arch
	var res hubsync.PushResult
	if err := e.send(k, hubsync.PathPush, p).Decode(e.hub.PublicKey(), &res); err != nil {
		e.t.Fatal(err)
	}
	k.Record(res)
}

// TestBundleDownload: an enrolled kiosk the bundle is offered to downloads
// it (whole, or a range of it), with the kiosk's client too; anyone else
// is refused with a signed answer, before a byte of the bundle is sent.
func TestBundleDownload(t *testing.T) {
	e := newEnv(t, nil)
	k := e.kiosk("T1")
	amd := e.kiosk("T2")
	revoked := e.kiosk("T3")
	e.pushAs(k, "1.4.1", "arm64")
	e.pushAs(amd, "1.4.1", "amd64")
	e.pushAs(revoked, "1.4.1", "arm64")
	path := hubtest.BundleFile(t, t.TempDir(), "1.4.2", "arm64", false)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.hub.AddBundle(ctx, path, []string{"A"}, hub.CommandLine("tech"))
	if err != nil {
		t.Fatal(err)
	}

	a, hdr := e.getBundle(k, b.SHA256, nil, nil)
	if a.Status != http.StatusOK || !bytes.Equal(a.Body, want) || hdr.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("the offered kiosk's download: %d, %d bytes, %s", a.Status, len(a.Body), hdr.Get("Content-Type"))
	}
	a, _ = e.getBundle(k, b.SHA256, nil, http.Header{"Range": {"bytes=10-"}})
	if a.Status != http.StatusPartialContent || !bytes.Equal(a.Body, want[10:]) {
		t.Errorf("a download resumed: %d, %d bytes", a.Status, len(a.Body))
	}

	missing := strings.Repeat("ab", 32)
	if err := e.hub.RevokeKiosk(ctx, "T3"); err != nil {
		t.Fatal(err)
	}
	refused := func(name string, a hubtest.Answer, want int) {
		t.Helper()
		if a.Status != want {
			t.Errorf("%s: status %d, want %d (%s)", name, a.Status, want, a.Body)
		}
		if err := hubsync.VerifyAnswer(e.hub.PublicKey(), a.Status, a.Body, a.Meta, a.Sig); err != nil {
			t.Errorf("%s: the refusal is not signed: %v", name, err)
		}
		if bytes.Contains(a.Body, want2(t, path)) {
			t.Errorf("%s: the bundle was sent", name)
		}
	}
	a, _ = e.getBundle(revoked, b.SHA256, nil, nil)
	refused("revoked kiosk", a, http.StatusGone)
	a, _ = e.getBundle(amd, b.SHA256, nil, nil)
	refused("another architecture's kiosk", a, http.StatusNotAcceptable)
	a, _ = e.getBundle(k, missing, nil, nil)
	refused("a bundle never added", a, http.StatusNotAcceptable)
	a, _ = e.getBundle(k, "..%2F..%2Fhub.key", nil, nil)
	refused("a path that is no hash", a, http.StatusBadRequest)
	stranger := hubtest.NewKiosk("T9", "A", e.clk.Now)
	a, _ = e.getBundle(stranger, b.SHA256, nil, nil)
	refused("an unknown kiosk", a, http.StatusNotFound)
	imposter := hubtest.NewKiosk("T1", "A", e.clk.Now)
	imposter.Key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	a, _ = e.getBundle(imposter, b.SHA256, nil, nil)
	refused("signed by a key not the kiosk's", a, http.StatusUnauthorized)
	big := make([]byte, hubsync.MaxBody+1)
	a, _ = e.getBundle(k, b.SHA256, big, nil)
	refused("an oversized request", a, http.StatusRequestEntityTooLarge)

	// Unsigned: no answer to sign, nothing sent.
	resp, err := e.client.Get(e.url + hubsync.PathBundle + b.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || bytes.Contains(body, want2(t, path)) {
		t.Errorf("an unsigned download: %d", resp.StatusCode)
	}

	// The kiosk's own client (its counter now past the tests' sender's):
	// the bytes, bounded.
	c := &hubsync.Client{BaseURL: e.url, Terminal: k.Terminal, Key: k.Key, HubKey: e.hub.PublicKey(),
		Counter: (&counter{last: 1 << 20}).next, HTTP: e.client}
	var buf bytes.Buffer
	if n, err := c.Bundle(ctx, b.SHA256, &buf, b.Size); err != nil || n != b.Size {
		t.Fatalf("client download: %d, %v", n, err)
	}
	if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != b.SHA256 {
		t.Error("the client's download is not the bundle")
	}
	if _, err := c.Bundle(ctx, b.SHA256, io.Discard, b.Size-1); !errors.Is(err, hubsync.ErrTooLarge) {
		t.Errorf("a bundle over the client's limit: %v, want ErrTooLarge", err)
	}
	if _, err := c.Bundle(ctx, missing, io.Discard, b.Size); !errors.Is(err, hubsync.ErrNotOffered) {
		t.Errorf("a bundle not offered, through the client: %v, want ErrNotOffered", err)
	}

	// Withdrawn: refused to the kiosk it was offered to.
	if _, err := e.hub.WithdrawBundle(ctx, "1.4.2", hub.CommandLine("tech")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bundle(ctx, b.SHA256, io.Discard, b.Size); !errors.Is(err, hubsync.ErrNotOffered) {
		t.Errorf("a withdrawn bundle: %v, want ErrNotOffered", err)
	}
}

// want2 is a piece of the bundle's bytes that only the bundle holds.
func want2(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b[len(b)/2 : len(b)/2+16]
}
