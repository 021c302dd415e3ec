package record

import (
	"crypto/sha256"
	"fmt"
)

// Head is where a terminal's chain stands: the sequence number and hash of
// its last entry. The zero Head is the start, before seq 1.
type Head struct {
	Seq  uint64
	Hash Hash
}

// ChainProblem names what is wrong with an entry of a chain. Its String is
// the name of the check that found it.
type ChainProblem uint8

// Chain problems.
const (
	// ProblemSequence: the entry is not the one after the last (a gap: entries
	// missing; or a repeat).
	ProblemSequence ChainProblem = iota + 1
	// ProblemPrev: the entry's Prev is not the previous entry's Hash.
	ProblemPrev
	// ProblemHash: the entry's Hash is not the SHA-256 of its encoding (a
	// field was changed after it was written), or it cannot be encoded.
	ProblemHash
	// ProblemTerminal: an entry of another terminal.
	ProblemTerminal
)

var problemNames = [...]string{ProblemSequence: "sequence", ProblemPrev: "chain", ProblemHash: "hash", ProblemTerminal: "terminal"}

func (p ChainProblem) String() string {
	if p >= ProblemSequence && p <= ProblemTerminal {
		return problemNames[p]
	}
	return fmt.Sprintf("ChainProblem(%d)", uint8(p))
}

// ChainError is one problem a Chain found. It wraps ErrCorrupt: a chain that
// does not hold cannot be trusted.
type ChainError struct {
	Problem  ChainProblem
	Terminal string  // the chain's terminal
	Seq      uint64  // the entry's sequence number; for a gap at the end, the next part's first
	ID       EntryID // the entry's id; zero for a gap at the end
	// Want is the sequence number expected (ProblemSequence).
	Want uint64
	// AtEnd: the gap was found where a part of the chain ended, short of the
	// next part's first entry (Chain.End).
	AtEnd bool
	// Prev is the previous entry's hash, the one the entry should have named
	// (ProblemPrev).
	Prev Hash
	// Got is what the entry holds: its Prev (ProblemPrev) or its Hash
	// (ProblemHash).
	Got Hash
	// Other is the foreign entry's terminal (ProblemTerminal).
	Other string
	// Err says why the entry cannot be encoded (ProblemHash); it wraps ErrInvalid.
	Err error
}

func (e *ChainError) Error() string {
	switch e.Problem {
	case ProblemSequence:
		if e.AtEnd {
			return fmt.Sprintf("terminal %s: expected seq %d, found none before %d (missing %d entries)", e.Terminal, e.Want, e.Seq, int64(e.Seq)-int64(e.Want))
		}
		if e.Seq < e.Want {
			return fmt.Sprintf("terminal %s: expected seq %d, found %d (repeated or out of order)", e.Terminal, e.Want, e.Seq)
		}
		return fmt.Sprintf("terminal %s: expected seq %d, found %d (missing %d entries)", e.Terminal, e.Want, e.Seq, e.Seq-e.Want)
	case ProblemPrev:
		return fmt.Sprintf("terminal %s seq %d: prev hash %.16s… does not match previous entry's %.16s…", e.Terminal, e.Seq, e.Got, e.Prev)
	case ProblemHash:
		if e.Err != nil {
			return fmt.Sprintf("terminal %s seq %d (id %s): %v", e.Terminal, e.Seq, e.ID, e.Err)
		}
		return fmt.Sprintf("terminal %s seq %d (id %s): stored hash does not match the entry's content", e.Terminal, e.Seq, e.ID)
	case ProblemTerminal:
		return fmt.Sprintf("terminal %s: entry seq %d (id %s) is terminal %s's", e.Terminal, e.Seq, e.ID, e.Other)
	}
	return fmt.Sprintf("terminal %s seq %d: %v", e.Terminal, e.Seq, e.Problem)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *ChainError) Unwrap() error { return ErrCorrupt }

// Chain follows one terminal's entries in sequence order from a known head
// and checks each against the one before: its Seq is the next, its Prev is
// the previous entry's Hash, its Hash is the SHA-256 of its canonical
// encoding, and it is this terminal's. It keeps only the head, so a million
// entries stream through it.
type Chain struct {
	terminal string
	head     Head
	buf      []byte
}

// NewChain starts a chain check of terminal's entries after head (the zero
// Head: from seq 1, whose Prev is zero).
func NewChain(terminal string, head Head) *Chain {
	return &Chain{terminal: terminal, head: head}
}

// Head is where the chain stands: the last entry given to Next.
func (c *Chain) Head() Head { return c.head }

// Next checks e, the entry after the last one given, and moves on to it. It
// returns what is wrong with e, nil when e is sound; one entry can have
// several problems (a gap before it and a Prev naming the missing entry).
// After a problem the chain goes on from e as it stands, its Seq and its
// stored Hash, so a missing or altered entry is reported where it is and not
// again at every later one. An entry of another terminal is reported and
// skipped: the chain stays where it was.
func (c *Chain) Next(e *Entry) []*ChainError {
	if e.Terminal != c.terminal {
		return []*ChainError{{Problem: ProblemTerminal, Terminal: c.terminal, Seq: e.Seq, ID: e.ID, Other: e.Terminal}}
	}
	var out []*ChainError
	if want := c.head.Seq + 1; e.Seq != want {
		out = append(out, &ChainError{Problem: ProblemSequence, Terminal: c.terminal, Seq: e.Seq, ID: e.ID, Want: want})
	}
	if e.Prev != c.head.Hash {
		out = append(out, &ChainError{Problem: ProblemPrev, Terminal: c.terminal, Seq: e.Seq, ID: e.ID, Prev: c.head.Hash, Got: e.Prev})
	}
	if err := e.check(); err != nil {
		if !e.Kind.Valid() {
			err = fmt.Errorf("unknown kind %d: %w", e.Kind, ErrInvalid)
		}
		out = append(out, &ChainError{Problem: ProblemHash, Terminal: c.terminal, Seq: e.Seq, ID: e.ID, Got: e.Hash, Err: err})
	} else {
		c.buf = e.appendEncoding(c.buf[:0])
		if sha256.Sum256(c.buf) != e.Hash {
			out = append(out, &ChainError{Problem: ProblemHash, Terminal: c.terminal, Seq: e.Seq, ID: e.ID, Got: e.Hash})
		}
	}
	c.head = Head{Seq: e.Seq, Hash: e.Hash}
	return out
}

// End reports a gap when the chain stopped short of next, the first sequence
// number of a later part checked on its own; nil when it reached it.
func (c *Chain) End(next uint64) *ChainError {
	if want := c.head.Seq + 1; want != next {
		return &ChainError{Problem: ProblemSequence, Terminal: c.terminal, Seq: next, Want: want, AtEnd: true}
	}
	return nil
}

// CheckChain checks terminal's entries, in sequence order, after head (the
// zero Head: from seq 1) and returns the first problem, a *ChainError; nil
// when the chain holds.
func CheckChain(terminal string, head Head, entries []Entry) error {
	c := NewChain(terminal, head)
	for i := range entries {
		if problems := c.Next(&entries[i]); len(problems) > 0 {
			return problems[0]
		}
	}
	return nil
}
