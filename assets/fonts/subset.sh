#!/bin/sh
# subset.sh — make the embedded CJK fonts from Debian's fonts-noto-cjk.
#
# Output, beside this script (committed; rerun only to change the coverage):
#   NotoSansSC-Regular-subset.otf, NotoSansSC-Bold-subset.otf, OFL.txt
# Coverage: every character of GB2312 (GB/T 2312-1980: 6,763 hanzi plus its
# symbols and full-width punctuation), ASCII, name-chars.txt (name characters
# GB2312 lacks, such as 堃 喆 赟 玥), and every character of the string catalog
# (../strings/catalog.tsv), so a UI string never needs the fallback font.
#
# Needs the Debian packages fonts-noto-cjk and fonttools (pyftsubset). The
# outlines stay CFF: ebiten's text/v2 (go-text/typesetting) reads CFF.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
noto=${NOTO_DIR:-/usr/share/fonts/opentype/noto}
py=/usr/bin/python3
for p in "$noto/NotoSansCJK-Regular.ttc" "$noto/NotoSansCJK-Bold.ttc" /usr/bin/pyftsubset "$py"; do
	if [ ! -e "$p" ]; then
		echo "subset.sh: $p missing; apt-get install fonts-noto-cjk fonttools" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The character list: GB2312 decoded row by row (rows 0xA1-0xF7, cells
# 0xA1-0xFE), plus ASCII, the name characters and the catalog.
"$py" - "$here/name-chars.txt" "$here/../strings/catalog.tsv" >"$work/chars.txt" <<'PY'
import sys
chars = set(chr(c) for c in range(0x20, 0x7F))
for row in range(0xA1, 0xF8):
    for cell in range(0xA1, 0xFF):
        try:
            chars.add(bytes([row, cell]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            chars.update(c for c in line if not c.isspace())
# Typographic extras the catalog may grow into: ellipsis, dashes, middle dot,
# yen/yuan, multiplication sign, degree, arrows, check and cross marks.
chars.update("…—–·¥×°←→✓✗●○")
sys.stdout.write("".join(sorted(chars)))
PY

# The SC face of each collection, found by name rather than by index.
face_index() {
	"$py" -c '
import sys
from fontTools.ttLib import TTCollection
for i, f in enumerate(TTCollection(sys.argv[1]).fonts):
    if f["name"].getDebugName(1) == "Noto Sans CJK SC":
        print(i); break
else:
    sys.exit("no Noto Sans CJK SC face in " + sys.argv[1])
' "$1"
}

for weight in Regular Bold; do
	ttc="$noto/NotoSansCJK-$weight.ttc"
	idx=$(face_index "$ttc")
	out="$here/NotoSansSC-$weight-subset.otf"
	# --no-hinting: ebiten rasterises without hints. --notdef-outline keeps the
	# .notdef box, so a missing character shows as a box rather than nothing. Vertical-layout tables and
	# glyph names are of no use on a horizontal kiosk screen.
	pyftsubset "$ttc" --font-number="$idx" --text-file="$work/chars.txt" \
		--output-file="$work/out.otf" --layout-features='*' --no-hinting --notdef-outline \
		--drop-tables+=VORG,vhea,vmtx --no-glyph-names --name-IDs='*' --name-languages='*'
	mv "$work/out.otf" "$out"
	echo "subset.sh: $out ($(wc -c <"$out") bytes, face $idx of $ttc)"
done

# The licence: the SIL-1.1 paragraph of Debian's copyright file, unfolded
# (leading space removed, "." lines made blank), after the font's own notice.
copyright=/usr/share/doc/fonts-noto-cjk/copyright
{
	"$py" -c '
import sys
from fontTools.ttLib import TTCollection
f = TTCollection(sys.argv[1]).fonts[int(sys.argv[2])]
print("Noto Sans CJK SC (subset: NotoSansSC-Regular-subset.otf, NotoSansSC-Bold-subset.otf)")
print(f["name"].getDebugName(0))
print()
' "$noto/NotoSansCJK-Regular.ttc" "$(face_index "$noto/NotoSansCJK-Regular.ttc")"
	awk '
		/^License: SIL-1.1$/ { on = 1; next }
		on && !/^ / { on = 0 }
		on { sub(/^ /, ""); if ($0 == ".") $0 = ""; print }
	' "$copyright"
} >"$here/OFL.txt"
echo "subset.sh: $here/OFL.txt"
