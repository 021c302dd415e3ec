package image_test

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// goBuild builds the repository's cmd/NAME into dir with the go command
// that runs the tests (go test puts its GOROOT/bin first on PATH).
func goBuild(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, b)
	}
	return out
}

// serveHub starts hubd serve on loopback with one center and returns its
// address; the process ends with the test.
func serveHub(t *testing.T, hubd, dir string) string {
	t.Helper()
	run(t, hubd, "center", "add", "--id", "hepingli", "--name", "和平里街道党群服务中心", "--data", dir)
	cmd := exec.Command(hubd, "serve", "--data", dir, "--listen", "127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		pw.Close()
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`hubd serving.*addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("hubd serve did not say where it listens")
	}
	return ""
}

// firstboot runs the first-boot script on boot and data directories, as
// root standing in for the kiosk's user, and returns what it printed.
func firstboot(t *testing.T, kioskctl, boot, data string) string {
	t.Helper()
	cmd := exec.Command("bash", "hongmajia-firstboot")
	cmd.Env = append(os.Environ(), "HONGMAJIA_BOOT="+boot, "HONGMAJIA_DATA="+data, "HONGMAJIA_KIOSKCTL="+kioskctl,
		"HONGMAJIA_USER=root", "HONGMAJIA_TRIES=2", "HONGMAJIA_RETRY=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hongmajia-firstboot: %v\n%s", err, out)
	}
	return string(out)
}

// The first boot of an image: hongmajia.txt and a token on the boot
// partition make the center's ledger and enroll it with a real hub; the
// token file is gone afterwards and its words are nowhere in the output
// or the log. A token the hub refuses is deleted too, and the log says
// what to do.
func TestFirstbootMakesTheCenterAndEnrolls(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	kioskctl := goBuild(t, dir, "kioskctl")
	hubd := goBuild(t, dir, "hubd")
	hubDir := filepath.Join(dir, "hub")
	url := serveHub(t, hubd, hubDir)
	token := strings.TrimSpace(run(t, hubd, "kiosk", "token", "--center", "hepingli", "--data", hubDir))

	boot, data := filepath.Join(dir, "boot"), filepath.Join(dir, "data")
	write(t, filepath.Join(boot, "hongmajia.txt"), "# first boot\ncenter = 和平里街道党群服务中心\r\ncenter_id = hepingli\nhub = \""+url+"\"\n", 0o644)
	write(t, filepath.Join(boot, "hongmajia-token.txt"), token+"\n", 0o600)
	out := firstboot(t, kioskctl, boot, data)
	log := read(t, filepath.Join(boot, "hongmajia-firstboot.log"))
	t.Logf("first boot:\n%s", out)
	for _, want := range []string{"center 和平里街道党群服务中心 made", "enrolled with " + url, "first sync done"} {
		if !strings.Contains(out, want) || !strings.Contains(log, want) {
			t.Errorf("first boot did not say %q:\n%s\nlog:\n%s", want, out, log)
		}
	}
	if strings.Contains(out, token) || strings.Contains(log, token) {
		t.Errorf("the token was printed:\n%s\nlog:\n%s", out, log)
	}
	for _, gone := range []string{"hongmajia-token.txt", "hongmajia.txt"} {
		if _, err := os.Stat(filepath.Join(boot, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still on the boot partition: %v", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(boot, "hongmajia.txt.done")); err != nil {
		t.Errorf("hongmajia.txt not kept as done: %v", err)
	}
	var status struct {
		Kiosks []struct {
			Center   string `json:"center"`
			LastSync *time.Time
		} `json:"kiosks"`
	}
	if err := json.Unmarshal([]byte(run(t, hubd, "status", "--json", "--data", hubDir)), &status); err != nil {
		t.Fatal(err)
	}
	if len(status.Kiosks) != 1 || status.Kiosks[0].Center != "hepingli" {
		t.Errorf("the hub's kiosks: %+v, want one of hepingli", status.Kiosks)
	}
	if st := run(t, kioskctl, "status", "--data", data); !strings.Contains(st, "和平里街道党群服务中心") {
		t.Errorf("kioskctl status of the new ledger:\n%s", st)
	}

	// A token put there later, that the hub refuses: tried, deleted, said.
	// The hub is the first boot's (hongmajia.txt.done).
	write(t, filepath.Join(boot, "hongmajia-token.txt"), "not-a-token-0123456789\n", 0o600)
	out = firstboot(t, kioskctl, boot, data)
	if !strings.Contains(out, "not enrolled with "+url) || !strings.Contains(out, "make a new one (hubd kiosk token)") {
		t.Errorf("a refused token:\n%s", out)
	}
	t.Logf("a refused token:\n%s", out)
	if strings.Contains(out, "not-a-token-0123456789") {
		t.Errorf("the refused token was printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(boot, "hongmajia-token.txt")); !os.IsNotExist(err) {
		t.Errorf("a refused token left on the boot partition: %v", err)
	}
}
