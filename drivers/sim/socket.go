package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
)

// MaxLine is the longest command line the socket accepts; a longer one is
// refused and the connection closed, so a stuck client cannot eat memory.
const MaxLine = 256

// Listen opens a Unix socket at path that only its owner may use (0600). The
// socket is made under a temporary name, restricted, then renamed into place,
// so no other user can connect in between. A stale socket left by a crash is
// replaced; one that still answers is left alone and reported. Closing the
// listener removes the socket.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("sim: listen %s: exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("sim: listen %s: another process is listening", path)
		}
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	_ = os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("sim: listen %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // it will not be at tmp any more
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("sim: listen %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("sim: listen %s: %w", path, err)
	}
	return &listener{UnixListener: ln, path: path}, nil
}

// listener removes its socket file on Close.
type listener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// Serve answers the line protocol on ln (see Do) until ctx ends, then closes
// ln and every connection. Each command gets one reply line: "ok" (followed by
// a space and text for status) or "error " and the reason.
func (r *Reader) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			// Close here too, not only in the AfterFunc goroutine: the socket
			// file must be gone when Serve returns.
			ln.Close()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sim: accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serveConn(ctx, c)
		}()
	}
}

func (r *Reader) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	in := bufio.NewReaderSize(c, MaxLine+1)
	for {
		line, err := readLine(in)
		if errors.Is(err, errLineTooLong) {
			fmt.Fprintf(c, "error sim: line longer than %d bytes\n", MaxLine)
			return
		}
		if err != nil {
			return // EOF, or closed when ctx ended
		}
		reply, err := r.Do(line)
		switch {
		case err != nil:
			_, err = fmt.Fprintf(c, "error %s\n", oneLine(err.Error()))
		case reply != "":
			_, err = fmt.Fprintf(c, "ok %s\n", oneLine(reply))
		default:
			_, err = io.WriteString(c, "ok\n")
		}
		if err != nil {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most MaxLine bytes, without its "\n" or "\r\n".
func readLine(in *bufio.Reader) (string, error) {
	b, err := in.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(b) > MaxLine+1 {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
