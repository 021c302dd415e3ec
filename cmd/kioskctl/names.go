package main

import (
	"fmt"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// What listings and exports call things: the words the center's staff use.
var (
	volunteerKindNames = map[record.VolunteerKind]string{
		record.RedVest: "红马甲", record.GreenVest: "绿马甲", record.InService: "双报到", record.Resident: "居民",
	}
	entryKindNames = map[record.Kind]string{
		record.KindCheckIn: "签到", record.KindCheckOut: "签退", record.KindRedeem: "兑换", record.KindAdjust: "调整",
		record.KindReverse: "冲正", record.KindReplaceCard: "补卡", record.KindExpire: "过期", record.KindRestock: "补货",
	}
	shiftStateNames = map[ledger.ShiftState]string{
		ledger.ShiftOpen: "进行中", ledger.ShiftClosed: "已签退", ledger.ShiftFlagged: "待处理",
		ledger.ShiftResolved: "已处理", ledger.ShiftReversed: "已冲正",
	}
	flagNames = map[record.FlagReason]string{
		record.FlagNone: "", record.FlagNegative: "时长为负(时钟回拨)", record.FlagOverMax: "超过最长时长",
		record.FlagForgotten: "未签退", record.FlagNoScheduleTo: "未签退且无结束时间",
	}
	cardStateNames = map[ledger.CardState]string{ledger.CardActive: "正常", ledger.CardLost: "挂失", ledger.CardRevoked: "注销"}
	roleNames      = map[ledger.Role]string{ledger.RoleStaff: "工作人员", ledger.RoleTechnician: "技术员"}
)

// chineseName returns v's name in m, or what v says of itself: a value newer
// than this table still shows.
func chineseName[K comparable](m map[K]string, v K) string {
	if s, ok := m[v]; ok {
		return s
	}
	return fmt.Sprint(v)
}

// personName is a person's name, or for a provisional person (a walk-in the
// hub has not registered yet) the words the kiosk's screen shows for one.
func personName(name string, provisional bool) string {
	if provisional {
		return assets.Strings().Text(assets.Chinese, assets.KeyProvisional)
	}
	return name
}

func volunteerKindName(k record.VolunteerKind) string { return chineseName(volunteerKindNames, k) }
func entryKindName(k record.Kind) string              { return chineseName(entryKindNames, k) }
func shiftStateName(s ledger.ShiftState) string       { return chineseName(shiftStateNames, s) }
func flagName(f record.FlagReason) string             { return chineseName(flagNames, f) }
func cardStateName(s ledger.CardState) string         { return chineseName(cardStateNames, s) }
func roleName(r ledger.Role) string                   { return chineseName(roleNames, r) }
