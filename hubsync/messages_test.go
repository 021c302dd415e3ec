package hubsync_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hubsync"
)

// TestStaffNeverShowsItsPINHash: a staff card printed or logged, alone or
// in a change, in any form, shows no part of its PIN hash.
func TestStaffNeverShowsItsPINHash(t *testing.T) {
	const hash = "$argon2id$v=19$m=64,t=1,p=1$c2VjcmV0c2FsdA$c2VjcmV0aGFzaA"
	s := hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleStaff, PINHash: hash, Active: true}
	c := hubsync.Change{Seq: 3, Staff: &s}
	var out []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out = append(out, fmt.Sprintf(f, s), fmt.Sprintf(f, &s))
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("staff", "card", s, "ptr", &s, "change", c)
	}
	out = append(out, buf.String())
	for _, o := range out {
		for _, part := range []string{"c2VjcmV0", "argon2id"} {
			if strings.Contains(o, part) {
				t.Errorf("the PIN hash shows: %s", o)
			}
		}
	}
	// What is not secret still shows.
	if !strings.Contains(buf.String(), "5AF00001") || !strings.Contains(fmt.Sprint(s), "值班员") {
		t.Errorf("the card itself does not show: %s %v", buf.String(), s)
	}
}
