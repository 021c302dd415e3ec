package roster

import (
	"fmt"
	"io"
	"slices"
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
		p, problems := CheckPerson(PersonFields{Name: d.get(ColName), MemberNo: d.get(ColMemberNo), Kind: d.get(ColKind),
			Phone: d.get(ColPhone), Community: d.get(ColCommunity), Card: d.get(ColCard)})
		for _, pr := range problems {
			d.problem(pr.Column, pr.Reason)
		}
		if p.MemberNo != "" && !slices.ContainsFunc(problems, func(pr Problem) bool { return pr.Column == ColMemberNo }) {
			if first, ok := members[p.MemberNo]; ok {
				d.problem(ColMemberNo, fmt.Sprintf("与第%d行重复 (the same as line %d)", first, first))
			} else {
				members[p.MemberNo] = d.line
			}
		}
		if p.Card != "" {
			if first, ok := cards[p.Card]; ok {
				d.problem(ColCard, fmt.Sprintf("与第%d行是同一张卡 (the same card as line %d)", first, first))
			} else {
				cards[p.Card] = d.line
			}
		}
		if len(out.Problems) == before {
			p.Line = d.line
			out.Rows = append(out.Rows, p)
		}
	}
	return out, nil
}

// PersonFields are one person's fields as typed into a form or a row's
// cells: text, not yet read.
type PersonFields struct {
	Name, MemberNo, Kind, Phone, Community, Card string
}

// CheckPerson reads one person's fields as ReadPeople reads a row (the
// same rules for a form at the hub's desk and a file): the person, or the
// problems, each with the column key it is about (ColName, ColPhone…) as
// its Column and Line 0. With problems, the person is what could be read
// (a field with a problem may hold anything): not a person to keep. Text is
// trimmed; duplicates within a file are ReadPeople's to find.
func CheckPerson(f PersonFields) (Person, []Problem) {
	var problems []Problem
	problem := func(key, value, reason string) {
		problems = append(problems, Problem{Column: key, Value: value, Reason: reason})
	}
	var p Person
	p.Name = trim(f.Name)
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		problem(ColName, f.Name, "不能为空 (required)")
	case n > maxName:
		problem(ColName, f.Name, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxName, maxName))
	case strings.IndexFunc(p.Name, unicode.IsControl) >= 0:
		problem(ColName, f.Name, "含有控制字符 (holds control characters)")
	}
	p.MemberNo = strings.ToUpper(numberText(trim(f.MemberNo)))
	switch {
	case p.MemberNo == "":
		problem(ColMemberNo, f.MemberNo, "不能为空 (required)")
	case len(p.MemberNo) > maxMemberNo || strings.IndexFunc(p.MemberNo, notMemberRune) >= 0:
		problem(ColMemberNo, f.MemberNo, "只能有字母、数字和 - (letters, digits and - only)")
	}
	var err error
	if p.Kind, err = volunteerKind(trim(f.Kind)); err != nil {
		problem(ColKind, f.Kind, err.Error())
	}
	if p.Phone, err = phone(trim(f.Phone)); err != nil {
		problem(ColPhone, f.Phone, err.Error())
	}
	p.Community = trim(f.Community)
	switch {
	case utf8.RuneCountInString(p.Community) > maxCommunity:
		problem(ColCommunity, f.Community, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxCommunity, maxCommunity))
	case strings.IndexFunc(p.Community, unicode.IsControl) >= 0:
		problem(ColCommunity, f.Community, "含有控制字符 (holds control characters)")
	}
	if c := numberText(trim(f.Card)); c != "" {
		uid, err := record.ParseUID(c)
		if err != nil {
			problem(ColCard, f.Card, "不是卡号 (not a card UID: 8, 14 or 20 hex digits, or a reader's decimal number)")
		} else {
			p.Card = uid
		}
	}
	return p, problems
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
