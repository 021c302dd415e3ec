package ledger_test

import "syscall"

// threadCPU returns the calling thread's CPU time (user and system) in
// microseconds; the caller locks its goroutine to the thread.
func threadCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000, true
}
