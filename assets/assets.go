// Package assets holds what the terminal embeds: the CJK fonts (a subset of
// Noto Sans SC, SIL OFL 1.1, licence in fonts/OFL.txt, made by
// fonts/subset.sh) and the string catalog (strings/catalog.tsv), Chinese first.
package assets

import _ "embed"

//go:embed fonts/NotoSansSC-Regular-subset.otf
var fontRegular []byte

//go:embed fonts/NotoSansSC-Bold-subset.otf
var fontBold []byte

//go:embed fonts/OFL.txt
var fontLicence string

// FontRegular is the embedded Noto Sans SC Regular subset (OpenType, CFF
// outlines): GB2312, ASCII, the name characters GB2312 lacks and every
// character of the catalog. The slice is shared: do not modify it.
func FontRegular() []byte { return fontRegular }

// FontBold is the Bold weight of the same subset. The slice is shared.
func FontBold() []byte { return fontBold }

// FontLicence is the SIL Open Font License text shipped with the fonts.
func FontLicence() string { return fontLicence }
