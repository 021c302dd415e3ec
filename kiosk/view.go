package kiosk

import (
	"time"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Scene is what the screen shows; one decision per scene.
type Scene uint8

// Scenes, in the order a visitor meets them.
const (
	SceneIdle             Scene = iota // center, clock, 请刷卡, today's activities, honour roll
	ScenePerson                        // name, balance, one big action
	SceneCheckInChoose                 // several activities open: pick one
	SceneCheckInConfirm                // one activity: confirm it
	SceneCheckInDone                   // checked in, with the time
	SceneCheckOutDone                  // duration, minutes and points credited, new balance
	SceneRedeemGrid                    // catalog tiles, unaffordable ones marked
	SceneRedeemConfirm                 // price and the balance after
	SceneRedeemDone                    // pickup code in very large digits
	SceneHistory                       // the person's last entries in plain words
	SceneNotice                        // a card or a request refused: what happened and what to do
	ScenePIN                           // staff card: PIN pad
	SceneStaffMenu                     // staff actions
	SceneStaffFind                     // number pad: last four phone digits or member number
	SceneStaffPeople                   // people found: pick one
	SceneStaffTapCard                  // waiting for the new card
	SceneStaffAmount                   // number pad with a sign: points to adjust, units to restock
	SceneStaffReasons                  // pick the reason of an adjustment
	SceneStaffRedemptions              // today's redemptions: pick one to reverse
	SceneStaffItems                    // catalog items: pick one to restock
	SceneStaffShifts                   // open shifts: pick one to close
	SceneStaffSummary                  // today's summary and the unsynced count
	SceneStaffReader                   // reader status and the last card read
	SceneStaffDone                     // a staff action done
	SceneTechnician                    // needs a technician: a code, no writes
	SceneStaffConfirm                  // what a staff action will do, to confirm: 确认 or 返回
	SceneStaffCards                    // a person's active cards: pick one to report lost
	SceneStaffHandouts                 // type a pickup code, or pick one of today's waiting redemptions
	SceneCheckOutConfirm               // what a check-out now would credit: 签退 or 返回
	SceneStaffSync                     // 立即同步: 同步中… while it runs, then how it went
)

var sceneNames = [...]string{
	"idle", "person", "checkin-choose", "checkin-confirm", "checkin-done", "checkout-done",
	"redeem-grid", "redeem-confirm", "redeem-done", "history", "notice", "pin",
	"staff-menu", "staff-find", "staff-people", "staff-tap-card", "staff-amount",
	"staff-reasons", "staff-redemptions", "staff-items", "staff-shifts", "staff-summary",
	"staff-reader", "staff-done", "technician", "staff-confirm", "staff-cards", "staff-handouts", "checkout-confirm",
	"staff-sync",
}

func (s Scene) String() string {
	if int(s) < len(sceneNames) {
		return sceneNames[s]
	}
	return "scene?"
}

// Tone is the colour and sound of a moment: a success is green with a short
// beep, a refusal red with two longer ones.
type Tone uint8

// Tones.
const (
	ToneNone Tone = iota
	ToneSuccess
	ToneRefusal
	ToneAttention
)

// View is everything a frontend needs to draw the current scene. Strings that
// are not data (names, item names) are catalog keys: the frontend looks them
// up, so every word on screen comes from one catalog.
type View struct {
	Scene Scene
	// Version changes whenever anything in the view does: a frontend redraws
	// when it sees a new one.
	Version uint64
	Tone    Tone
	// Cue changes each time a sound should play (Tone says which).
	Cue uint64
	// Busy: the ledger is answering; actions are ignored until it has.
	Busy bool

	Center string // the center's name
	Demo   bool   // demo mode: show that keys 1–9 tap cards

	Idle   IdleView
	Person PersonView // on every scene of a visitor's session

	// Title and Lines are catalog keys with their arguments: the headline of a
	// notice, a refusal or a done scene, and what to do next.
	Title Text
	Lines []Text

	Choices []Choice // activities, catalog items, people, redemptions, shifts, reasons
	Page    int      // which page of Choices a grid shows (frontend pages)

	CheckIn  CheckInView
	CheckOut CheckOutView
	Redeem   RedeemView
	History  []HistoryLine

	// Pad is what was typed on a PIN or number pad (a PIN is shown masked).
	Pad      string
	Signed   bool // the amount pad takes a sign: an adjustment, not a restock
	Negative bool // the amount pad's sign
	Staff    StaffView

	Fault string // needs a technician: the fault code

	// Prompt is the words spoken with the cue, where a sound pack has them
	// (签到成功); changes with Cue. PromptNone: the tone alone.
	Prompt Prompt
}

// Prompt names a short spoken prompt of the optional sound pack
// (assets/sounds/<prompt>.wav). A frontend without the file plays the tone
// alone.
type Prompt string

// Prompts.
const (
	PromptNone       Prompt = ""
	PromptCheckedIn  Prompt = "checkin-done"  // 签到成功
	PromptCheckedOut Prompt = "checkout-done" // 签退成功
	PromptRedeemed   Prompt = "redeem-done"   // 兑换成功
	PromptTryAgain   Prompt = "try-again"     // 请重试
	PromptRefused    Prompt = "refused"       // 未能完成，请看屏幕
)

// Prompts lists every prompt a terminal may ask for.
var Prompts = []Prompt{PromptCheckedIn, PromptCheckedOut, PromptRedeemed, PromptTryAgain, PromptRefused}

// Text is a catalog key and its arguments. An argument may be a Text too: the
// frontend looks it up as well (a provisional person's name, ProvisionalKey).
type Text struct {
	Key  string
	Args []any
}

// T makes a Text.
func T(key string, args ...any) Text { return Text{Key: key, Args: args} }

// IdleView is the idle scene's data.
type IdleView struct {
	Activities []ledger.Activity
	Honour     []ledger.HonourRow // best first
}

// ProvisionalKey is the catalog key of the words a frontend shows in place
// of a provisional person's name (assets.KeyProvisional).
const ProvisionalKey = assets.KeyProvisional

// PersonView is the visitor of the current session.
type PersonView struct {
	Name      string
	Kind      record.VolunteerKind
	Points    int64
	Minutes   int64
	OpenShift *OpenShift // nil when not checked in
	// Provisional: a walk-in with no name yet; Name is then its short
	// number, shown with WalkInKey's words (待补登记 772601).
	Provisional bool
}

// OpenShift is a shift still running: the person scene shows its duration.
type OpenShift struct {
	Activity string
	Since    time.Time
}

// Choice is one tile or row to pick.
type Choice struct {
	Label  string // data: an activity's or item's name, a person's masked name
	Detail Text   // price, stock, time, phone
	Price  int64  // catalog items: points per unit
	Stock  int64  // catalog items: stock at this center
	Image  string // catalog items: image name; "" for a generated tile
	// Refusal is the catalog key saying why this choice cannot be taken
	// (余额不足, 库存不足, 本月已兑换); "" when it can. Refused choices are shown,
	// not hidden.
	Refusal string
	// Provisional: the choice is a provisional person; Label is its short
	// number, shown with WalkInKey's words.
	Provisional bool
	// RefusalArgs are the arguments of Refusal's words (还差 N 分).
	RefusalArgs []any
}

// CheckInView is a check-in's confirmation and result.
type CheckInView struct {
	Activity string
	At       time.Time
}

// CheckOutView is a check-out's preview (SceneCheckOutConfirm: what a
// check-out now would credit) and its result.
type CheckOutView struct {
	Activity string
	Duration time.Duration
	Minutes  int64 // credited
	Points   int64 // credited
	Balance  ledger.Balance
	// Note is a catalog key when nothing or less was credited (too short,
	// daily cap, flagged for staff); "" otherwise.
	Note string
	// The activity's rules the credit follows, for the words: minutes are
	// rounded down to a multiple of Round (0 or 1: not rounded), a shift
	// shorter than Min credits nothing, and DailyCap caps a day's minutes.
	Round, Min, DailyCap int64
	// At is when the shift closes: the check-out's time, or the preview's
	// now.
	At time.Time
}

// RedeemView is a redemption's confirmation and result.
type RedeemView struct {
	Item    string
	Price   int64
	After   int64 // balance after
	Code    ledger.PickupCode
	Balance ledger.Balance
}

// HistoryLine is one entry, for the frontend to say in plain words.
type HistoryLine struct {
	At      time.Time
	Kind    record.Kind
	What    string // the activity, the item or the reason
	Minutes int64
	Points  int64
	// Code is a redemption's pickup code (取货码); "" for other entries.
	Code ledger.PickupCode
}

// StaffView is the staff session's state.
type StaffView struct {
	Name     string
	Role     ledger.Role
	Menu     []MenuItem
	Summary  ledger.Summary
	Unsynced uint64
	LastSync time.Time
	// Standing is the sync standing the staff menu shows, in words (上次同步
	// 02:13　未同步 12 条; 未接入区平台); StandingAlert: it is a warning for
	// the technician (a refusal, a fork).
	Standing      Text
	StandingAlert bool
	LastUID       string // last card read, on the reader test
	// Target is the person a staff action is about: the full name (staff
	// gave their PIN; masking is for the public screens).
	Target string
	// TargetProvisional: Target is a provisional person's short number,
	// shown with WalkInKey's words; ProvisionalKey's alone while it has none
	// yet (a walk-in being registered).
	TargetProvisional bool
	// Warning is what to look out for before confirming (此人已有一张在用的卡);
	// zero when nothing.
	Warning Text
	// Readers are the card readers' state, on the reader test.
	Readers []rfid.Status
	// Confirm is the catalog key of what the confirming button of a staff
	// confirmation says: the action it takes (撤销兑换, 两张卡都可用).
	Confirm string
}

// MenuItem is one entry of the staff menu.
type MenuItem struct {
	Key    string // catalog key of its label
	Action StaffAction
}
