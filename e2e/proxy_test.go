package e2e_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// fault is what the proxy does to one connection.
type fault int

const (
	pass   fault = iota // forwards everything
	delay               // forwards everything, each chunk late
	refuse              // closes the kiosk's connection at once
	cut                 // closes both sides after n bytes one way
	reset               // resets both sides (RST) after n bytes one way
	stall               // stops forwarding after n bytes one way for a while, then cuts
	nFaults
)

func (f fault) String() string {
	return [...]string{"pass", "delay", "refuse", "cut", "reset", "stall"}[f]
}

// plan is one connection's fate.
type plan struct {
	fault fault
	up    bool          // cut, reset, stall: in the kiosk-to-hub direction, else hub-to-kiosk
	n     int64         // after this many bytes that way
	wait  time.Duration // delay: before each chunk; stall: how long
}

func (p plan) String() string {
	switch p.fault {
	case pass, refuse:
		return p.fault.String()
	case delay:
		return fmt.Sprintf("delay %s", p.wait)
	case stall:
		return fmt.Sprintf("stall %s after %d bytes %s", p.wait, p.n, map[bool]string{true: "up", false: "down"}[p.up])
	}
	dir := "down"
	if p.up {
		dir = "up"
	}
	return fmt.Sprintf("%s %s after %d bytes", p.fault, dir, p.n)
}

// proxy is a TCP proxy between one kiosk and the hub that breaks
// connections as a seeded RNG says: each connection it accepts draws its
// plan from the RNG, so a kiosk's sequence of connections meets the same
// faults for the same seed. Given several hub processes (a load
// balancer's), it sends each connection to one the RNG draws too.
type proxy struct {
	t  testing.TB
	ln net.Listener

	mu       sync.Mutex
	upstream []string // the hub processes; each connection goes to one of them
	rng      *rand.Rand
	rate     float64 // the share of connections that meet a fault
	log      []string
	open     map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

func newProxy(t testing.TB, seed uint64, upstream ...string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, upstream: upstream, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) url() string { return "http://" + p.ln.Addr().String() }

// setUpstream points the proxy's new connections at addrs (each at one).
func (p *proxy) setUpstream(addrs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.upstream = addrs
}

// setRate sets the share of new connections that meet a fault (0: a
// healthy network).
func (p *proxy) setRate(r float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = r
}

// faults returns and forgets what the proxy did since the last call.
func (p *proxy) faults() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.log
	p.log = nil
	return l
}

// dropAll closes every connection open now (a network that went away).
func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.open {
		c.Close()
	}
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.dropAll()
	p.wg.Wait()
}

func (p *proxy) draw() (plan, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pl plan
	if p.rate > 0 && p.rng.Float64() < p.rate {
		pl.fault = fault(1 + p.rng.IntN(int(nFaults)-1))
		pl.up = p.rng.IntN(2) == 0
		// Most requests and answers are a few hundred bytes to a few KB;
		// a keep-alive connection carries several.
		switch p.rng.IntN(3) {
		case 0:
			pl.n = p.rng.Int64N(400)
		case 1:
			pl.n = p.rng.Int64N(4 << 10)
		default:
			pl.n = p.rng.Int64N(32 << 10)
		}
		pl.wait = time.Duration(1+p.rng.IntN(8)) * time.Millisecond
		if pl.fault == stall {
			pl.wait = time.Duration(10+p.rng.IntN(200)) * time.Millisecond
		}
	}
	if len(p.upstream) == 1 {
		// Drawn only for several, so that one hub's schedules stay those
		// of a seed from before there were several.
		p.log = append(p.log, pl.String())
		return pl, p.upstream[0]
	}
	i := p.rng.IntN(len(p.upstream))
	p.log = append(p.log, fmt.Sprintf("%s via hub %d", pl, i))
	return pl, p.upstream[i]
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.open, c)
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		pl, up := p.draw()
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.handle(c, pl, up)
		}()
	}
}

func (p *proxy) handle(kc net.Conn, pl plan, upstream string) {
	defer kc.Close()
	if pl.fault == refuse {
		return
	}
	hc, err := net.DialTimeout("tcp", upstream, time.Second)
	if err != nil {
		return // the hub is down: the kiosk sees its connection closed
	}
	if !p.track(hc) {
		return
	}
	defer p.untrack(hc)
	defer hc.Close()
	var once sync.Once
	end := func(rst bool) {
		once.Do(func() {
			if rst {
				for _, c := range []net.Conn{kc, hc} {
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
				}
			}
			kc.Close()
			hc.Close()
		})
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn, up bool) {
		defer func() { done <- struct{}{} }()
		limit := int64(-1)
		if pl.up == up && (pl.fault == cut || pl.fault == reset || pl.fault == stall) {
			limit = pl.n
		}
		buf := make([]byte, 4<<10)
		var sent int64
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if pl.fault == delay {
					time.Sleep(pl.wait)
				}
				b := buf[:n]
				if limit >= 0 && sent+int64(n) > limit {
					b = b[:limit-sent]
				}
				if len(b) > 0 {
					if _, werr := dst.Write(b); werr != nil {
						end(false)
						return
					}
					sent += int64(len(b))
				}
				if limit >= 0 && sent >= limit {
					switch pl.fault {
					case cut:
						end(false)
					case reset:
						end(true)
					case stall:
						// Nothing more gets through for a while (the kiosk
						// may give up first), then the line drops.
						t := time.AfterFunc(pl.wait, func() { end(false) })
						_, _ = io.Copy(io.Discard, src)
						t.Stop()
						end(false)
					}
					return
				}
			}
			if err != nil {
				end(false)
				return
			}
		}
	}
	go pipe(hc, kc, true)
	go pipe(kc, hc, false)
	<-done
	<-done
}
