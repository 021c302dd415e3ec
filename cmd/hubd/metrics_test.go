package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub/server"
)

func TestMetricsToken(t *testing.T) {
	dir := newHub(t)
	code, out, stderr := hubd(t, "metrics", "token", "--data", dir)
	if code != 0 {
		t.Fatalf("metrics token: exit %d\n%s", code, stderr)
	}
	token := strings.TrimSpace(out)
	if len(token) != 43 {
		t.Fatalf("metrics token printed %q", out)
	}
	wantIn(t, "metrics token", stderr, "shown only now", "credentials_file")
	path := filepath.Join(dir, server.MetricsTokenFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), token) || !strings.HasPrefix(string(b), "sha256:") {
		t.Errorf("%s holds %q: want the token's hash, never the token", path, b)
	}
	// Again: another token, the file replaced.
	again := strings.TrimSpace(must(t, "metrics", "token", "--data", dir))
	if again == token {
		t.Error("a second token is the first")
	}
	if b2, _ := os.ReadFile(path); string(b2) == string(b) {
		t.Error("the file still holds the first token's hash")
	}

	fails(t, 1, []string{"no hub in"}, "metrics", "token", "--data", filepath.Join(t.TempDir(), "none"))
	fails(t, 2, []string{"metrics token"}, "metrics")
	fails(t, 2, []string{`"show"`}, "metrics", "show", "--data", dir)
	fails(t, 2, []string{"never given on the command line"}, "serve", "--metrics-token", token, "--data", dir)
	fails(t, 1, []string{"metrics token"}, "serve", "--metrics-token-file", filepath.Join(t.TempDir(), "none"), "--data", dir)
	fails(t, 1, []string{"at least 32 characters"}, "serve", "--metrics-token-file", writeFile(t, "short", "abc\n"), "--data", dir)
	fails(t, 2, []string{"--metrics-addr"}, "serve", "--metrics-addr", "9101", "--data", dir)
}

// serveProc is a `hubd serve` process of this test binary.
type serveProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done bool
}

// startServe runs hubd serve with args and returns it once it said where
// it listens: the addresses its log named by each key of want.
func startServe(t *testing.T, want []string, args ...string) (*serveProc, map[string]string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: exec.Command(self, append([]string{"serve"}, args...)...)}
	p.cmd.Env = append(os.Environ(), "HONGMAJIA_HUBD_MAIN=1")
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.done {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		pw.Close()
	})
	addrs := make(chan map[string]string, 1)
	go func() {
		found, sent := map[string]string{}, false
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if sent {
				continue // found is the test's now
			}
			for _, k := range want {
				if m := regexp.MustCompile(`\b` + k + `=(127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
					found[k] = m[1]
				}
			}
			if len(found) == len(want) && !sent {
				addrs <- found
				sent = true
			}
		}
	}()
	select {
	case got := <-addrs:
		return p, got
	case <-time.After(30 * time.Second):
		t.Fatalf("hubd serve did not say where it listens:\n%s", p.String())
	}
	return nil, nil
}

func (p *serveProc) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// stop ends it with SIGTERM and returns its error.
func (p *serveProc) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	p.done = true
	return p.cmd.Wait()
}

// TestServeMetrics: a real hubd serves /metrics behind the token on its
// listener, a new token at once, and without one on --metrics-addr.
func TestServeMetrics(t *testing.T) {
	dir := newHub(t)
	token := strings.TrimSpace(must(t, "metrics", "token", "--data", dir))
	p, addrs := startServe(t, []string{"addr", "metrics_addr"}, "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--data", dir)
	client := &http.Client{Timeout: 10 * time.Second}
	scrape := func(base, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+base+server.PathMetrics, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := scrape(addrs["addr"], ""); status != http.StatusUnauthorized {
		t.Errorf("the hub's listener without the token: %d", status)
	}
	if status, text := scrape(addrs["addr"], token); status != http.StatusOK || !strings.Contains(text, "hongmajia_hub_metrics_refused_total 1") {
		t.Errorf("the hub's listener with the token: %d\n%s", status, text)
	}
	if status, text := scrape(addrs["metrics_addr"], ""); status != http.StatusOK || !strings.Contains(text, "hongmajia_hub_http_requests_total") {
		t.Errorf("the metrics' listener: %d\n%s", status, text)
	}
	// A new token: the old one refused at once.
	fresh := strings.TrimSpace(must(t, "metrics", "token", "--data", dir))
	if status, _ := scrape(addrs["addr"], token); status != http.StatusUnauthorized {
		t.Errorf("the old token: %d", status)
	}
	if status, _ := scrape(addrs["addr"], fresh); status != http.StatusOK {
		t.Errorf("the new token: %d", status)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("hubd serve after SIGTERM: %v\n%s", err, p.String())
	}
	log := p.String()
	wantIn(t, "serve log", log, "metrics serving", "hubd stopped")
	if strings.Contains(log, token) || strings.Contains(log, fresh) {
		t.Error("a metrics token is in the log")
	}
	if _, err := client.Get("http://" + addrs["metrics_addr"] + server.PathMetrics); err == nil {
		t.Error("the metrics' listener answers after SIGTERM")
	}
}
