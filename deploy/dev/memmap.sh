#!/bin/sh
# memmap.sh PID — where a process's memory goes: its PSS and RSS (kB) by
# mapping, from /proc/PID/smaps, largest first, anonymous memory split into
# Go's heap (addresses below 0x700000000000, where the Go runtime reserves
# its arenas) and the rest (malloc's arenas: Mesa's textures and
# framebuffers, LLVM's shaders; thread stacks). The same classes as
# BenchmarkIdle's metrics (cmd/kiosk-screen/smaps_test.go). E.g. for the
# running kiosk: deploy/dev/memmap.sh "$(pidof kiosk-screen)"
set -eu
pid=${1:?usage: memmap.sh PID}
awk '
/^[0-9a-f]+-[0-9a-f]+ / {
	name = ""
	for (i = 6; i <= NF; i++) name = name (i > 6 ? " " : "") $i
	if (name == "") {
		split($1, r, "-")
		# below 0x700000000000: 12 hex digits, not starting 7-f
		name = (length(r[1]) < 12 || substr(r[1], 1, 1) ~ /[0-6]/) ? "[anon: Go heap]" : "[anon: malloc, stacks]"
	}
	next
}
/^Pss:/ { pss[name] += $2 }
/^Rss:/ { rss[name] += $2 }
END { for (n in pss) if (pss[n] >= 64) printf "%8d %8d  %s\n", pss[n], rss[n], n }
' "/proc/$pid/smaps" | sort -k1,1nr
awk '/^Pss:/ { p = $2 } /^Rss:/ { r = $2 } END { printf "%8d %8d  total (PSS, RSS in kB; mappings under 64 kB of PSS not listed)\n", p, r }' "/proc/$pid/smaps_rollup"
echo "threads: $(grep '^Threads:' "/proc/$pid/status" | awk '{print $2}')"
