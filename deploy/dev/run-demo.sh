#!/bin/sh
# run-demo.sh BIN DATA — what `make run` does: make a demo data directory when
# there is none, then show it. (The kiosk UI joins here when it exists.)
set -eu
BIN=$1
DATA=$2
if [ ! -e "$DATA/ledger.db" ]; then
	"$BIN/kioskctl" demo --data "$DATA"
fi
"$BIN/kioskctl" status --data "$DATA"
