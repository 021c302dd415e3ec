package kiosk

import "strings"

// MaskName hides the middle of a name for the public honour roll (光荣榜):
// 张三明 → 张*明, 欧阳娜娜 → 欧**娜, 王堃 → 王*; a one-character name is
// shown as it is. Names in Latin letters keep the first letter of each word.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if strings.Contains(name, " ") {
		words := strings.Fields(name)
		for i, w := range words {
			r := []rune(w)
			words[i] = string(r[0]) + strings.Repeat("*", len(r)-1)
		}
		return strings.Join(words, " ")
	}
	r := []rune(name)
	switch len(r) {
	case 0, 1:
		return name
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
