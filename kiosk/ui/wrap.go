package ui

import (
	"strings"
	"unicode"
)

// Measure is the advance width of a string in pixels at one text size.
type Measure func(s string) float64

// noLineStart are characters that must not begin a line (行首禁则): closing
// punctuation stays with the character before it.
const noLineStart = "，。、：；！？）》」』】〕”’…%,.:;!?)]}·"

// noLineEnd are characters that must not end a line (行尾禁则): opening
// punctuation stays with the character after it.
const noLineEnd = "（《「『【〔“‘([{"

// Wrap breaks text into lines no wider than max. Chinese may break between
// any two characters (except around the punctuation above); Latin words and
// numbers break only at spaces, unless a single word is wider than a line.
// "\n" forces a break.
func Wrap(text string, max float64, measure Measure) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, wrapParagraph(para, max, measure)...)
	}
	return lines
}

func wrapParagraph(para string, max float64, measure Measure) []string {
	return keepCompany(para, greedyLines(para, max, measure), max, measure)
}

// keepCompany moves one more token (a character, with its punctuation, or a
// word) down to a last line that would hold a single Chinese character (or a
// single closing punctuation) alone, when that fits and does not leave one
// alone on the line above instead.
func keepCompany(para string, lines []string, max float64, measure Measure) []string {
	n := len(lines)
	if n < 2 || !Lonely(lines[n-1]) {
		return lines
	}
	last := lines[n-1]
	toks := breakTokens(lines[n-2])
	if len(toks) < 2 {
		return lines
	}
	rest := strings.TrimRight(strings.Join(toks[:len(toks)-1], ""), " ")
	if Lonely(rest) {
		return lines
	}
	// The spaces the break took away between the two lines.
	before := strings.TrimSuffix(strings.TrimRight(para, " "), last)
	sep := before[len(strings.TrimRight(before, " ")):]
	moved := strings.TrimLeft(toks[len(toks)-1], " ") + sep + last
	if measure(moved) > max {
		return lines
	}
	out := append([]string(nil), lines[:n-2]...)
	return append(out, rest, moved)
}

// Lonely reports whether a line is a single Chinese character (with any
// punctuation clinging to it) or a single closing punctuation: what must
// not be left alone on the last line of a paragraph.
func Lonely(line string) bool {
	line = strings.TrimSpace(line)
	chars, punct := 0, 0
	for _, r := range line {
		switch {
		case strings.ContainsRune(noLineStart, r):
			punct++
		case isWide(r):
			chars++
		default:
			return false
		}
	}
	return chars == 1 || chars == 0 && punct == 1
}

// greedyLines fills each line with as many tokens as fit.
func greedyLines(para string, max float64, measure Measure) []string {
	tokens := breakTokens(para)
	if len(tokens) == 0 {
		return []string{""}
	}
	var lines []string
	line := ""
	for _, tok := range tokens {
		candidate := line + tok
		if line == "" {
			candidate = strings.TrimLeft(tok, " ")
		}
		if measure(strings.TrimRight(candidate, " ")) <= max || line == "" && measure(candidate) <= max {
			line = candidate
			continue
		}
		if line != "" {
			lines = append(lines, strings.TrimRight(line, " "))
		}
		line = strings.TrimLeft(tok, " ")
		// A token wider than a whole line is cut by characters.
		for measure(line) > max && len([]rune(line)) > 1 {
			head, rest := cutToWidth(line, max, measure)
			lines = append(lines, head)
			line = rest
		}
	}
	return append(lines, strings.TrimRight(line, " "))
}

// breakTokens splits a paragraph into units that must stay on one line: a
// Chinese character with its clinging punctuation, or a Latin word with the
// spaces before it.
func breakTokens(s string) []string {
	var tokens []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			tokens = append(tokens, string(cur))
			cur = nil
		}
	}
	glue := false // the previous rune must not end a line
	for _, r := range s {
		switch {
		case strings.ContainsRune(noLineStart, r):
			// Cling to what came before, even across a token boundary.
			if len(cur) == 0 && len(tokens) > 0 {
				cur = []rune(tokens[len(tokens)-1])
				tokens = tokens[:len(tokens)-1]
			}
			cur = append(cur, r)
		case glue:
			cur = append(cur, r)
		case r == ' ':
			flush()
			cur = append(cur, r)
		case isWide(r):
			flush()
			cur = append(cur, r)
		default:
			if len(cur) > 0 && isWide(lastRune(cur)) {
				flush()
			}
			cur = append(cur, r)
		}
		glue = strings.ContainsRune(noLineEnd, r)
		if !glue && isWide(r) && !strings.ContainsRune(noLineStart, r) {
			flush()
		}
	}
	flush()
	return tokens
}

func lastRune(rs []rune) rune { return rs[len(rs)-1] }

// isWide is a character that may be broken around: Han, kana, full-width
// forms and CJK punctuation.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// cutToWidth splits s after the most characters that fit in max (at least one).
func cutToWidth(s string, max float64, measure Measure) (string, string) {
	rs := []rune(s)
	n := 1
	for n < len(rs) && measure(string(rs[:n+1])) <= max {
		n++
	}
	return string(rs[:n]), string(rs[n:])
}
