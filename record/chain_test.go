package record_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

const term = "0011223344556677"

// chainOf makes n sound entries of term from seq first, after prev.
func chainOf(t *testing.T, first uint64, prev record.Hash, n int) []record.Entry {
	t.Helper()
	var out []record.Entry
	for i := range n {
		e := record.Entry{Terminal: term, Seq: first + uint64(i), ID: record.NewEntryID(), Kind: record.KindCheckIn, Center: "C-1",
			Person: record.PersonID(i + 1), Card: "04A1B2C3", Points: int64(i), At: time.Date(2026, 3, 2, 9, i, 0, 0, time.UTC), Trusted: true, Prev: prev}
		h, err := e.ComputeHash()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash = h
		prev = h
		out = append(out, e)
	}
	return out
}

func rehash(t *testing.T, e *record.Entry) {
	t.Helper()
	h, err := e.ComputeHash()
	if err != nil {
		t.Fatal(err)
	}
	e.Hash = h
}

func TestCheckChain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		head   func(es []record.Entry) record.Head
		breaks func(t *testing.T, es []record.Entry) []record.Entry
		want   record.ChainProblem // 0: sound
		at     uint64              // the seq of the entry the problem is found at
		detail string
	}{
		{name: "good chain", breaks: func(t *testing.T, es []record.Entry) []record.Entry { return es }},
		{name: "empty", breaks: func(t *testing.T, es []record.Entry) []record.Entry { return nil }},
		{name: "good tail after a head", head: func(es []record.Entry) record.Head { return record.Head{Seq: es[1].Seq, Hash: es[1].Hash} },
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { return es[2:] }},
		{name: "gap", want: record.ProblemSequence, at: 4, detail: "expected seq 3, found 4 (missing 1 entries)",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { return append(es[:2:2], es[3:]...) }},
		{name: "gap before the first", want: record.ProblemSequence, at: 2, detail: "expected seq 1, found 2",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { return es[1:] }},
		{name: "repeat", want: record.ProblemSequence, at: 2, detail: "expected seq 3, found 2 (repeated or out of order)",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { return append(es[:2:2], es[1:]...) }},
		{name: "tail after the wrong head", head: func(es []record.Entry) record.Head { return record.Head{Seq: es[0].Seq, Hash: es[0].Hash} },
			want: record.ProblemSequence, at: 3, breaks: func(t *testing.T, es []record.Entry) []record.Entry { return es[2:] }},
		{name: "wrong prev, rehashed", want: record.ProblemPrev, at: 3, detail: "prev hash",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry {
				es[2].Prev[0] ^= 1
				rehash(t, &es[2])
				return es
			}},
		{name: "first entry with a prev", want: record.ProblemPrev, at: 1,
			breaks: func(t *testing.T, es []record.Entry) []record.Entry {
				es[0].Prev = record.Hash{1}
				rehash(t, &es[0])
				return es[:1]
			}},
		{name: "tampered field, old hash", want: record.ProblemHash, at: 3, detail: "stored hash does not match the entry's content",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { es[2].Points += 100; return es }},
		{name: "tampered time, old hash", want: record.ProblemHash, at: 2,
			breaks: func(t *testing.T, es []record.Entry) []record.Entry {
				es[1].At = es[1].At.Add(time.Nanosecond)
				return es
			}},
		{name: "tampered reason, rehashed: the next entry's prev", want: record.ProblemPrev, at: 4,
			breaks: func(t *testing.T, es []record.Entry) []record.Entry {
				es[2].Reason = "补登漏签"
				rehash(t, &es[2])
				return es
			}},
		{name: "unknown kind", want: record.ProblemHash, at: 2, detail: "unknown kind 42",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { es[1].Kind = 42; return es }},
		{name: "string not UTF-8", want: record.ProblemHash, at: 2, detail: "not UTF-8",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry { es[1].Reason = "\xff"; return es }},
		{name: "foreign terminal", want: record.ProblemTerminal, at: 3, detail: "is terminal FFEEDDCCBBAA9988's",
			breaks: func(t *testing.T, es []record.Entry) []record.Entry {
				es[2].Terminal = "FFEEDDCCBBAA9988"
				rehash(t, &es[2])
				return es
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := chainOf(t, 1, record.Hash{}, 5)
			var head record.Head
			if tc.head != nil {
				head = tc.head(es)
			}
			err := record.CheckChain(term, head, tc.breaks(t, es))
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("CheckChain = %v, want nil", err)
				}
				return
			}
			var ce *record.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("CheckChain = %v, want a *ChainError", err)
			}
			if ce.Problem != tc.want || ce.Seq != tc.at || ce.Terminal != term {
				t.Fatalf("CheckChain = %v (%v at seq %d of %s), want %v at seq %d", err, ce.Problem, ce.Seq, ce.Terminal, tc.want, tc.at)
			}
			if !errors.Is(err, record.ErrCorrupt) {
				t.Fatalf("%v does not wrap ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.detail) || !strings.Contains(err.Error(), term) {
				t.Fatalf("error %q does not say %q and name the terminal", err, tc.detail)
			}
		})
	}
}

// TestChainGoesOn: after a problem the chain goes on from the entry as it
// stands, so each break is reported once, where it is.
func TestChainGoesOn(t *testing.T) {
	es := chainOf(t, 1, record.Hash{}, 8)
	es[2].Points++ // tampered, old hash: seq 3's hash
	foreign := es[4]
	foreign.Terminal, foreign.Seq = "FFEEDDCCBBAA9988", 99
	rehash(t, &foreign)
	es = append(es[:6], append([]record.Entry{foreign}, es[7:]...)...) // seq 7 lost, a foreign entry in its place
	c := record.NewChain(term, record.Head{})
	var got []string
	for i := range es {
		for _, p := range c.Next(&es[i]) {
			got = append(got, fmt.Sprintf("%v@%d", p.Problem, p.Seq))
		}
	}
	want := "hash@3 terminal@99 sequence@8 chain@8"
	if strings.Join(got, " ") != want {
		t.Fatalf("problems %q, want %q", strings.Join(got, " "), want)
	}
	if h := c.Head(); h.Seq != 8 || h.Hash != es[len(es)-1].Hash {
		t.Fatalf("Head = %+v, want seq 8 and its hash", h)
	}
}

// TestChainEnd: a part checked on its own must reach the next part's first
// entry.
func TestChainEnd(t *testing.T) {
	es := chainOf(t, 1, record.Hash{}, 4)
	c := record.NewChain(term, record.Head{})
	for i := range es {
		if p := c.Next(&es[i]); p != nil {
			t.Fatalf("seq %d: %v", es[i].Seq, p)
		}
	}
	if p := c.End(5); p != nil {
		t.Fatalf("End(5) after seq 4 = %v", p)
	}
	p := c.End(7)
	if p == nil || p.Problem != record.ProblemSequence || !p.AtEnd || p.Want != 5 {
		t.Fatalf("End(7) after seq 4 = %+v, want a gap of 5 and 6", p)
	}
	if want := "terminal " + term + ": expected seq 5, found none before 7 (missing 2 entries)"; p.Error() != want {
		t.Fatalf("End(7) = %q, want %q", p, want)
	}
	// An empty part that starts after a head still ends where it began.
	if p := record.NewChain(term, record.Head{Seq: 9}).End(10); p != nil {
		t.Fatalf("empty part: End = %v", p)
	}
}

func TestChainProblemNames(t *testing.T) {
	for p, want := range map[record.ChainProblem]string{record.ProblemSequence: "sequence", record.ProblemPrev: "chain",
		record.ProblemHash: "hash", record.ProblemTerminal: "terminal", 0: "ChainProblem(0)"} {
		if p.String() != want {
			t.Errorf("%d.String() = %q, want %q", p, p.String(), want)
		}
	}
}

// TestChainNextAllocatesNothing: Verify streams a million entries through
// one Chain; a sound entry costs no allocation once the buffer has grown.
func TestChainNextAllocatesNothing(t *testing.T) {
	es := chainOf(t, 1, record.Hash{}, 102) // one, a warm-up run, and 100
	c := record.NewChain(term, record.Head{})
	c.Next(&es[0])
	i := 1
	allocs := testing.AllocsPerRun(100, func() {
		if p := c.Next(&es[i]); p != nil {
			t.Fatal(p[0])
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Next allocates %v times per entry", allocs)
	}
}
