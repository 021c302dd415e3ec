package roster

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/record"
)

// Person is one row of a volunteer roster.
type Person struct {
	// Line is the row's line (row) in the file.
	Line int
	// MemberNo is the volunteer's or member's number (志愿者编号, 会员号),
	// upper case: "HPL0012".
	MemberNo  string
	Name      string
	Phone     string // digits only ("13812345678"); "" when not given
	Community string // 所属社区
	Kind      record.VolunteerKind
	// Card is the card to bind, as record.ParseUID reads it; "" when none.
	Card record.CardUID
}

// People is what ReadPeople read: the good rows, in file order, and every
// row's problems.
type People struct {
	Source
	Rows     []Person
	Problems []Problem
}

// Column keys of a roster of people; the example file's headers.
const (
	ColName      = "姓名"
	ColPhone     = "手机号"
	ColCommunity = "所属社区"
	ColKind      = "志愿者类型"
	ColMemberNo  = "志愿者编号"
	ColCard      = "卡号"
)

var peopleColumns = []column{
	{key: ColName, names: []string{"姓名", "名字", "志愿者姓名", "name"}, required: true},
	{key: ColMemberNo, names: []string{"志愿者编号", "会员号", "会员编号", "编号", "志愿者号", "志愿者证号", "member", "memberno", "member_no"}, required: true},
	{key: ColKind, names: []string{"志愿者类型", "类型", "人员类型", "身份", "类别", "kind"}, required: true},
	{key: ColPhone, names: []string{"手机号", "手机", "手机号码", "联系电话", "电话", "联系方式", "phone"}},
	{key: ColCommunity, names: []string{"所属社区", "社区", "所在社区", "community"}},
	{key: ColCard, names: []string{"卡号", "卡片编号", "ic卡号", "卡", "card", "uid"}},
}

// Limits on a person's text, so a pasted paragraph is a problem, not a name.
const (
	maxName      = 32 // characters
	maxMemberNo  = 32
	maxCommunity = 64
)

// ReadPeople reads a roster of people from CSV or XLSX. Required columns:
// 姓名, 志愿者编号 (or 会员号), 志愿者类型; optional: 手机号, 所属社区, 卡号.
// A member number or a card twice in the file is a problem on its second
// row. The error is for a file that cannot be read at all (ErrFile).
func ReadPeople(r io.Reader) (*People, error) {
	t, src, err := read(r, peopleColumns)
	if err != nil {
		return nil, err
	}
	out := &People{Source: src}
	members := map[string]int{}
	cards := map[record.CardUID]int{}
	for _, d := range t.dataRows(&out.Problems) {
		before := len(out.Problems)
		p := Person{Line: d.line}
		p.Name = d.get(ColName)
		switch n := utf8.RuneCountInString(p.Name); {
		case n == 0:
			d.problem(ColName, "不能为空 (required)")
		case n > maxName:
			d.problem(ColName, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxName, maxName))
		}
		p.MemberNo = strings.ToUpper(numberText(d.get(ColMemberNo)))
		switch {
		case p.MemberNo == "":
			d.problem(ColMemberNo, "不能为空 (required)")
		case len(p.MemberNo) > maxMemberNo || strings.IndexFunc(p.MemberNo, notMemberRune) >= 0:
			d.problem(ColMemberNo, "只能有字母、数字和 - (letters, digits and - only)")
		default:
			if first, ok := members[p.MemberNo]; ok {
				d.problem(ColMemberNo, fmt.Sprintf("与第%d行重复 (the same as line %d)", first, first))
			} else {
				members[p.MemberNo] = d.line
			}
		}
		if p.Kind, err = volunteerKind(d.get(ColKind)); err != nil {
			d.problem(ColKind, err.Error())
		}
		if p.Phone, err = phone(d.get(ColPhone)); err != nil {
			d.problem(ColPhone, err.Error())
		}
		p.Community = d.get(ColCommunity)
		if utf8.RuneCountInString(p.Community) > maxCommunity {
			d.problem(ColCommunity, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxCommunity, maxCommunity))
		}
		if c := numberText(d.get(ColCard)); c != "" {
			uid, err := record.ParseUID(c)
			switch {
			case err != nil:
				d.problem(ColCard, "不是卡号 (not a card UID: 8, 14 or 20 hex digits, or a reader's decimal number)")
			default:
				if first, ok := cards[uid]; ok {
					d.problem(ColCard, fmt.Sprintf("与第%d行是同一张卡 (the same card as line %d)", first, first))
				} else {
					cards[uid] = d.line
				}
				p.Card = uid
			}
		}
		if len(out.Problems) == before {
			out.Rows = append(out.Rows, p)
		}
	}
	return out, nil
}

func notMemberRune(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// phone reads a phone number: a mobile (11 digits from 1) or a landline
// with its area code, written with spaces, dashes or +86 as people do.
// Blank is no phone.
func phone(s string) (string, error) {
	s = numberText(s)
	if s == "" {
		return "", nil
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '+':
			return -1
		}
		return unicode.ReplacementChar
	}, s)
	if strings.ContainsRune(digits, unicode.ReplacementChar) {
		return "", fmt.Errorf("不是电话号码 (not a phone number)")
	}
	if strings.HasPrefix(s, "+86") || (len(digits) == 13 && strings.HasPrefix(digits, "86")) {
		digits = strings.TrimPrefix(digits, "86")
	}
	switch {
	case len(digits) == 11 && digits[0] == '1':
	case len(digits) >= 10 && len(digits) <= 12 && digits[0] == '0': // 010-12345678, 0571-1234567
	default:
		return "", fmt.Errorf("不是手机号或带区号的电话 (not an 11-digit mobile or a landline with its area code)")
	}
	return digits, nil
}
