#!/bin/sh
# subset.sh — make the embedded fonts from Debian's fonts-noto-cjk and
# fonts-unifont.
#
# Output, beside this script (committed; rerun only to change the coverage):
#   NotoSansSC-Regular-subset.otf, NotoSansSC-Bold-subset.otf,
#   Unifont-4DB6-4DBF.otf, OFL.txt
# Coverage of the Noto Sans SC subsets: every character of GB2312 (GB/T
# 2312-1980: 6,763 hanzi plus its symbols and full-width punctuation), every
# character of the 通用规范汉字表 (tongyong-guifan.txt: the 8,105 characters of
# the 2013 standard, which include the name characters GB2312 lacks, such as
# 堃 喆 赟 玥, and 77 of CJK Extension A, such as 䶮 㛃), ASCII,
# name-chars.txt, and every character of the string catalogs
# (../strings/catalog.tsv, and the hub's web's web.tsv), so a UI string or a name written in standard
# characters never needs a system font. The rest of CJK Extension A and of
# the unified ideographs comes from the system's Noto Sans CJK SC at run time
# (kiosk/ui/fonts.go), except U+4DB6–U+4DBF, added to Extension A in Unicode
# 13 after Noto Sans CJK 2.004 was made: Unifont-4DB6-4DBF.otf holds GNU
# Unifont's glyphs of those ten.
#
# Needs the Debian packages fonts-noto-cjk, fonts-unifont and fonttools
# (pyftsubset). The outlines stay CFF: ebiten's text/v2 (go-text/typesetting)
# reads CFF.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
noto=${NOTO_DIR:-/usr/share/fonts/opentype/noto}
unifont=${UNIFONT:-/usr/share/fonts/opentype/unifont/unifont.otf}
py=/usr/bin/python3
for p in "$noto/NotoSansCJK-Regular.ttc" "$noto/NotoSansCJK-Bold.ttc" "$unifont" /usr/bin/pyftsubset "$py"; do
	if [ ! -e "$p" ]; then
		echo "subset.sh: $p missing; apt-get install fonts-noto-cjk fonts-unifont fonttools" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The character list: GB2312 decoded row by row (rows 0xA1-0xF7, cells
# 0xA1-0xFE), plus ASCII, the 通用规范汉字表, the name characters and the
# catalogs.
"$py" - "$here/tongyong-guifan.txt" "$here/name-chars.txt" "$here/../strings/catalog.tsv" "$here/../strings/web.tsv" >"$work/chars.txt" <<'PY'
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

# Unifont's glyphs of U+4DB6-U+4DBF (16x16 pixel outlines, the same em box as
# Noto's ideographs). --no-prune-unicode-ranges: fonttools 4.38 cannot
# recompute Unifont's OS/2 Unicode ranges.
out="$here/Unifont-4DB6-4DBF.otf"
pyftsubset "$unifont" --unicodes=U+4DB6-4DBF --output-file="$work/out.otf" \
	--layout-features='' --no-hinting --notdef-outline --no-glyph-names \
	--name-IDs='*' --name-languages='*' --no-prune-unicode-ranges 2>&1 |
	grep -v "timestamp seems very low" >&2 || true
mv "$work/out.otf" "$out"
echo "subset.sh: $out ($(wc -c <"$out") bytes)"

# The licence: each font's own notice, then the SIL-1.1 paragraph of Debian's
# copyright file for fonts-noto-cjk, unfolded (leading space removed, "."
# lines made blank). Unifont is dual-licensed, and the subset is used under
# the SIL Open Font License, as its name table says.
copyright=/usr/share/doc/fonts-noto-cjk/copyright
{
	"$py" -c '
import sys
from fontTools.ttLib import TTCollection, TTFont
f = TTCollection(sys.argv[1]).fonts[int(sys.argv[2])]
print("Noto Sans CJK SC (subset: NotoSansSC-Regular-subset.otf, NotoSansSC-Bold-subset.otf)")
print(f["name"].getDebugName(0))
print()
u = TTFont(sys.argv[3])
print("GNU Unifont " + u["name"].getDebugName(5) + " (subset: Unifont-4DB6-4DBF.otf)")
print(u["name"].getDebugName(0))
print(u["name"].getDebugName(13))
print()
' "$noto/NotoSansCJK-Regular.ttc" "$(face_index "$noto/NotoSansCJK-Regular.ttc")" "$unifont"
	awk '
		/^License: SIL-1.1$/ { on = 1; next }
		on && !/^ / { on = 0 }
		on { sub(/^ /, ""); if ($0 == ".") $0 = ""; print }
	' "$copyright"
} >"$here/OFL.txt"
echo "subset.sh: $here/OFL.txt"
