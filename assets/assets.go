// Package assets holds what the terminal embeds: the CJK fonts (a subset of
// Noto Sans SC and ten glyphs of GNU Unifont, SIL OFL 1.1, licence in
// fonts/OFL.txt, made by fonts/subset.sh) and the string catalog
// (strings/catalog.tsv), Chinese first; and the hub's web's catalog
// (strings/web.tsv), whose pages serve the same fonts.
package assets

import _ "embed"

//go:embed fonts/NotoSansSC-Regular-subset.otf
var fontRegular []byte

//go:embed fonts/NotoSansSC-Bold-subset.otf
var fontBold []byte

//go:embed fonts/Unifont-4DB6-4DBF.otf
var fontExtA13 []byte

//go:embed fonts/OFL.txt
var fontLicence string

// FontRegular is the embedded Noto Sans SC Regular subset (OpenType, CFF
// outlines): GB2312, the 8,105 characters of the 通用规范汉字表 (which hold
// the name characters GB2312 lacks), ASCII, the name characters of
// fonts/name-chars.txt and every character of the catalog. The slice is
// shared: do not modify it.
func FontRegular() []byte { return fontRegular }

// FontBold is the Bold weight of the same subset. The slice is shared.
func FontBold() []byte { return fontBold }

// FontExtA13 is GNU Unifont's glyphs of U+4DB6–U+4DBF, the ten characters
// Unicode 13 added to CJK Extension A, which Noto Sans CJK lacks: one weight
// for regular and bold text. The slice is shared.
func FontExtA13() []byte { return fontExtA13 }

// FontLicence is the SIL Open Font License text shipped with the fonts.
func FontLicence() string { return fontLicence }
