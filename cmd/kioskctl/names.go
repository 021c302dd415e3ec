package main

import (
	"fmt"

	"github.com/hongmajia/hongmajia/ledger"
)

// What exports and listings call things, in the words the center's staff use.

func volunteerKindName(k ledger.VolunteerKind) string {
	switch k {
	case ledger.RedVest:
		return "红马甲"
	case ledger.GreenVest:
		return "绿马甲"
	case ledger.InService:
		return "双报到"
	case ledger.Resident:
		return "居民"
	}
	return k.String()
}

func entryKindName(k ledger.Kind) string {
	switch k {
	case ledger.KindCheckIn:
		return "签到"
	case ledger.KindCheckOut:
		return "签退"
	case ledger.KindRedeem:
		return "兑换"
	case ledger.KindAdjust:
		return "调整"
	case ledger.KindReverse:
		return "冲正"
	case ledger.KindReplaceCard:
		return "补卡"
	case ledger.KindExpire:
		return "过期"
	case ledger.KindRestock:
		return "补货"
	}
	return k.String()
}

func shiftStateName(s ledger.ShiftState) string {
	switch s {
	case ledger.ShiftOpen:
		return "进行中"
	case ledger.ShiftClosed:
		return "已签退"
	case ledger.ShiftFlagged:
		return "待处理"
	case ledger.ShiftResolved:
		return "已处理"
	case ledger.ShiftReversed:
		return "已冲正"
	}
	return s.String()
}

func flagName(f ledger.FlagReason) string {
	switch f {
	case ledger.FlagNone:
		return ""
	case ledger.FlagNegative:
		return "时长为负(时钟回拨)"
	case ledger.FlagOverMax:
		return "超过最长时长"
	case ledger.FlagForgotten:
		return "未签退"
	case ledger.FlagNoScheduleTo:
		return "未签退且无结束时间"
	}
	return string(f)
}

func cardStateName(s ledger.CardState) string {
	switch s {
	case ledger.CardActive:
		return "正常"
	case ledger.CardLost:
		return "挂失"
	case ledger.CardRevoked:
		return "注销"
	}
	return fmt.Sprint(s)
}

func roleName(r ledger.Role) string {
	switch r {
	case ledger.RoleStaff:
		return "工作人员"
	case ledger.RoleTechnician:
		return "技术员"
	}
	return r.String()
}
