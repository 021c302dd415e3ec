#!/bin/sh
# run-demo.sh BIN DATA — what `make run` does: the kiosk on demo data.
# Makes the demo data directory with `kioskctl demo` when there is none, then
# shows the touch UI in a window (keys 1–9 tap demo cards); without a display
# that opens it runs the headless station on the same data and says how to
# tap cards.
set -eu
BIN=$1
DATA=$2
if [ ! -e "$DATA/ledger.db" ]; then
	echo "making demo data in $DATA (kioskctl demo; its cards are listed in $DATA/demo-cards.txt)"
	mkdir -p "$DATA"
	"$BIN/kioskctl" demo --data "$DATA" >"$DATA/demo-cards.txt.tmp"
	mv "$DATA/demo-cards.txt.tmp" "$DATA/demo-cards.txt"
fi

if [ ! -x "$BIN/kiosk-screen" ]; then
	echo "no $BIN/kiosk-screen (the touch UI is not built yet): running the headless station instead"
elif "$BIN/kiosk" --check-display; then
	# The display opened a moment ago; should it fail now, the station runs.
	exec "$BIN/kiosk" --data "$DATA" --windowed --demo --fallback-headless
else
	echo "(kiosk says why above) running the headless station instead"
fi

echo
echo "The station checks a volunteer in on the first tap and out on the next."
echo "In another terminal, tap a demo card:"
"$BIN/kioskctl" tap --data "$DATA" --list | head -n 3 | while read -r key uid rest; do
	echo "  $BIN/kioskctl tap --data $DATA $uid    # key $key: $rest"
done
echo "  $BIN/kioskctl tap --data $DATA --list    # all nine demo cards"
echo "  $BIN/kioskctl status --data $DATA"
echo "Stop with Ctrl-C."
echo
exec "$BIN/kiosk" --headless --data "$DATA"
