package record

import "fmt"

// PersonID identifies a registered person (志愿者注册登记). Ids made on a
// terminal are random 53-bit numbers, so terminals of one district never
// collide before the hub has seen them and the ids survive JSON.
type PersonID int64

// ActivityID identifies an activity.
type ActivityID int64

// ItemID identifies a catalog item.
type ItemID int64

// VolunteerKind is what a person is registered as; rates differ by kind.
type VolunteerKind uint8

// Volunteer kinds. Stored as numbers: never renumber.
const (
	RedVest    VolunteerKind = 1 // party member volunteer (红马甲)
	GreenVest  VolunteerKind = 2 // resident volunteer (绿马甲)
	InService  VolunteerKind = 3 // in-service party member reporting to the community (双报到)
	Resident   VolunteerKind = 4 // resident, not a registered volunteer (居民)
	maxVolKind               = Resident
)

var volunteerKindNames = [...]string{RedVest: "red-vest", GreenVest: "green-vest", InService: "in-service", Resident: "resident"}

// Valid reports whether k is one of the kinds above.
func (k VolunteerKind) Valid() bool { return k >= RedVest && k <= maxVolKind }

func (k VolunteerKind) String() string {
	if k.Valid() {
		return volunteerKindNames[k]
	}
	return fmt.Sprintf("VolunteerKind(%d)", uint8(k))
}

// MarshalText writes the kind's name (rules keep rates by name).
func (k VolunteerKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("volunteer kind %d: %w", k, ErrInvalid)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name.
func (k *VolunteerKind) UnmarshalText(b []byte) error {
	for i, n := range volunteerKindNames {
		if n != "" && n == string(b) {
			*k = VolunteerKind(i)
			return nil
		}
	}
	return fmt.Errorf("volunteer kind %q: %w", b, ErrInvalid)
}
