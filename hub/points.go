package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The 积分兑换 section's catalog and stock: the district's items, their
// pictures, each center's stock and its restocks.
//
// The catalog is the district's (an item has no center): district staff
// add and change items, and a center's staff see them and change nothing.
// A change is the hub's own (ChangedBy "") and takes a registry version in
// its Update, so every kiosk has it at its next pull, and a kiosk's change
// to the item made before it pulled this one loses to it (flagged), as the
// sync's rules say.
//
// Stock is each center's: what the hub set (an import, a restock here)
// plus every entry of the center's kiosks (redemptions, restocks at a
// kiosk), one Stock row of the store. A restock here moves that row by its
// quantity under a new version: the center's kiosks pull it as a snapshot
// signed as of the entry the hub acknowledged of each, and add their own
// entries after it, so a restock here and a redemption at a kiosk on the
// same day each count once, at the hub and at every kiosk. District staff
// restock any center, a center's staff their own (a center receives goods
// at its own desk). Pictures stay at the hub: kiosks show names.

// Audit actions of the catalog and stock.
const (
	// AuditItemAdd: an item added to the catalog. Subject: its name;
	// Detail: its price, limit and state.
	AuditItemAdd AuditAction = "item-add"
	// AuditItemChange: an item changed. Subject: its name; Detail: what
	// changed, from and to.
	AuditItemChange AuditAction = "item-change"
	// AuditItemPicture: an item's picture set. Subject: the item's name;
	// Detail: the picture's version and size.
	AuditItemPicture AuditAction = "item-picture"
	// AuditRestock: a center's stock of an item restocked or corrected.
	// Subject: the item's name; Detail: the quantity, what is left and why.
	AuditRestock AuditAction = "stock-restock"
	// AuditBundleAdd: a release bundle offered to kiosks (hubd bundle add).
	// Subject: its version and architecture; Detail: the centers (or all)
	// and its SHA-256.
	AuditBundleAdd AuditAction = "bundle-add"
	// AuditBundleWithdraw: a version's bundles offered no more. Subject:
	// the version; Detail: their architectures.
	AuditBundleWithdraw AuditAction = "bundle-withdraw"
)

// Fields of an item and a restock (beside FieldName, FieldPrice and
// FieldCenter).
const (
	FieldLimit   Field = "limit"
	FieldPeriod  Field = "period"
	FieldPicture Field = "picture"
	FieldQty     Field = "qty"
	FieldReason  Field = "reason"
)

// Limits of the catalog and of a restock. An item's name is as long as a
// catalog file's (roster) and fits a kiosk's button.
const (
	MaxItemName      = 32
	MaxPrice         = 100000 // points per unit
	MaxLimitCount    = 999    // units per person per period
	MaxRestock       = 100000 // units one restock adds or takes away
	MaxRestockReason = 200    // characters
)

// ErrBelowZero: a correction would leave a center less than none of an
// item.
var ErrBelowZero = errors.New("hub: stock would go below zero")

// ItemFields are an item as a form sets it.
type ItemFields struct {
	Name        string
	Price       int64
	LimitCount  int64
	LimitPeriod string // hubsync.PeriodNone…PeriodYear
	Active      bool
}

// CheckItem is f as the catalog keeps it (the name trimmed), or the first
// field it refuses (*FieldError wrapping record.ErrInvalid): a name of 1 to
// MaxItemName characters, a price of 1 to MaxPrice points, a limit of 0 to
// MaxLimitCount, and a period with a limit and none without (as a catalog
// file says them, and a kiosk keeps them).
func CheckItem(f ItemFields) (ItemFields, error) {
	bad := func(field Field, format string, args ...any) (ItemFields, error) {
		return f, &FieldError{Field: field, Err: fmt.Errorf(format+": %w", append(args, record.ErrInvalid)...)}
	}
	f.Name = strings.TrimSpace(f.Name)
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0 || n > MaxItemName:
		return bad(FieldName, "item name of %d characters, want 1 to %d", n, MaxItemName)
	case strings.IndexFunc(f.Name, unicode.IsControl) >= 0 || !utf8.ValidString(f.Name):
		return bad(FieldName, "item name %q holds control characters", f.Name)
	case f.Price < 1 || f.Price > MaxPrice:
		return bad(FieldPrice, "price %d, want 1 to %d points", f.Price, MaxPrice)
	case f.LimitCount < 0 || f.LimitCount > MaxLimitCount:
		return bad(FieldLimit, "limit %d, want 0 to %d", f.LimitCount, MaxLimitCount)
	case !validPeriod(f.LimitPeriod):
		return bad(FieldPeriod, "period %q", f.LimitPeriod)
	case f.LimitCount > 0 && f.LimitPeriod == hubsync.PeriodNone:
		return bad(FieldPeriod, "a limit of %d needs its period", f.LimitCount)
	case f.LimitCount == 0 && f.LimitPeriod != hubsync.PeriodNone:
		return bad(FieldLimit, "a period (%s) needs its limit", f.LimitPeriod)
	}
	return f, nil
}

// itemNameFree refuses (a FieldError wrapping ErrExists) a name another item
// of items holds.
func itemNameFree(items []Item, id record.ItemID, name string) error {
	for _, it := range items {
		if it.ID != id && it.Name == name {
			return &FieldError{Field: FieldName, Err: fmt.Errorf("item %s is item %d's: %w", name, it.ID, ErrExists)}
		}
	}
	return nil
}

// districtOnly refuses (ErrForbidden) a scope that is not the district's: the
// catalog is the district's to change.
func districtOnly(scope Scope, what string) error {
	if !scope.District() {
		return fmt.Errorf("%s: %w", what, ErrForbidden)
	}
	return nil
}

// AddItem adds an item to the district's catalog, with its picture when
// pic is not nil (MakePicture's): every kiosk has the item at its next
// pull. District staff only (ErrForbidden).
func (h *Hub) AddItem(ctx context.Context, scope Scope, by Actor, f ItemFields, pic *Picture) (Item, error) {
	if err := districtOnly(scope, "add item"); err != nil {
		return Item{}, err
	}
	f, err := CheckItem(f)
	if err != nil {
		return Item{}, fmt.Errorf("add item: %w", err)
	}
	var it Item
	err = h.store.Update(ctx, func(tx Tx) error {
		items, err := tx.Items()
		if err != nil {
			return err
		}
		if err := itemNameFree(items, 0, f.Name); err != nil {
			return err
		}
		id, err := newID(func(id int64) (bool, error) {
			return slices.ContainsFunc(items, func(it Item) bool { return int64(it.ID) == id }), nil
		})
		if err != nil {
			return err
		}
		it = Item{ID: record.ItemID(id), Name: f.Name, Price: f.Price, LimitCount: f.LimitCount, LimitPeriod: f.LimitPeriod, Active: f.Active}
		if it.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutItem(it); err != nil {
			return fmt.Errorf("add item %s: %w", it.Name, err)
		}
		if err := h.audit(tx, by, AuditItemAdd, "", it.Name, itemDetail(it)); err != nil {
			return err
		}
		if pic == nil {
			return nil
		}
		return h.putPicture(tx, by, it, *pic)
	})
	if err != nil {
		return Item{}, err
	}
	return it, nil
}

// itemDetail is what the audit log says of an item: price, limit, state.
func itemDetail(it Item) string {
	limit := "none"
	if it.LimitCount > 0 {
		limit = fmt.Sprintf("%d/%s", it.LimitCount, it.LimitPeriod)
	}
	state := "active"
	if !it.Active {
		state = "withdrawn"
	}
	return fmt.Sprintf("price %d, limit %s, %s", it.Price, limit, state)
}

// ChangeItem changes an item of the catalog, and its picture when pic is
// not nil (MakePicture's): the hub's change, which every kiosk has at its
// next pull and which a kiosk's change made before it pulled this one
// loses to. Fields as they were are no change (no version, no audit).
// District staff only (ErrForbidden); ErrNotFound for an item that is not
// there.
func (h *Hub) ChangeItem(ctx context.Context, scope Scope, by Actor, id record.ItemID, f ItemFields, pic *Picture) (Item, error) {
	if err := districtOnly(scope, "change item"); err != nil {
		return Item{}, err
	}
	f, err := CheckItem(f)
	if err != nil {
		return Item{}, fmt.Errorf("change item: %w", err)
	}
	var next Item
	err = h.store.Update(ctx, func(tx Tx) error {
		items, err := tx.Items()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(items, func(it Item) bool { return it.ID == id })
		if i < 0 {
			return fmt.Errorf("item %d: %w", id, ErrNotFound)
		}
		cur := items[i]
		if err := itemNameFree(items, id, f.Name); err != nil {
			return err
		}
		next = Item{ID: id, Name: f.Name, Price: f.Price, LimitCount: f.LimitCount, LimitPeriod: f.LimitPeriod, Active: f.Active}
		if withVersionByItem(cur, "") == next {
			next = cur
		} else {
			if next.Version, err = tx.NextVersion(); err != nil {
				return err
			}
			if err := tx.PutItem(next); err != nil {
				return fmt.Errorf("change item %s: %w", next.Name, err)
			}
			if err := h.audit(tx, by, AuditItemChange, "", next.Name, itemChanges(cur, next)); err != nil {
				return err
			}
		}
		if pic == nil {
			return nil
		}
		return h.putPicture(tx, by, next, *pic)
	})
	if err != nil {
		return Item{}, err
	}
	return next, nil
}

// itemChanges says what changed from a to b, for the audit log.
func itemChanges(a, b Item) string {
	var out []string
	if a.Name != b.Name {
		out = append(out, fmt.Sprintf("name %s → %s", a.Name, b.Name))
	}
	if a.Price != b.Price {
		out = append(out, fmt.Sprintf("price %d → %d", a.Price, b.Price))
	}
	if a.LimitCount != b.LimitCount || a.LimitPeriod != b.LimitPeriod {
		out = append(out, fmt.Sprintf("limit %d/%s → %d/%s", a.LimitCount, a.LimitPeriod, b.LimitCount, b.LimitPeriod))
	}
	if a.Active != b.Active {
		out = append(out, fmt.Sprintf("active %t → %t", a.Active, b.Active))
	}
	return strings.Join(out, ", ")
}

func (h *Hub) putPicture(tx Tx, by Actor, it Item, pic Picture) error {
	if len(pic.Large) == 0 || len(pic.Thumb) == 0 {
		return fmt.Errorf("picture of item %d: not made by MakePicture: %w", it.ID, record.ErrInvalid)
	}
	pic.Item, pic.Changed, pic.ChangedBy = it.ID, h.now(), by.User
	if err := tx.PutPicture(pic); err != nil {
		return err
	}
	return h.audit(tx, by, AuditItemPicture, "", it.Name, fmt.Sprintf("%s, %d×%d, %d bytes", pic.Tag(), pic.Width, pic.Height, len(pic.Large)))
}

// ItemPicture is an item's picture, its bytes too, for a scope that sees
// anything (the catalog is every center's).
func (h *Hub) ItemPicture(ctx context.Context, scope Scope, id record.ItemID) (Picture, error) {
	if !seesAny(scope) {
		return Picture{}, fmt.Errorf("picture of item %d: %w", id, ErrNotFound)
	}
	var p Picture
	err := h.store.View(ctx, func(r Reader) (err error) {
		p, err = r.Picture(id)
		return err
	})
	return p, err
}

// seesAny reports whether scope sees a center (the zero Scope sees
// nothing, not even the district's catalog).
func seesAny(s Scope) bool { return s.District() || s.Center() != "" }

// Catalog is the district's catalog as a scope sees it: every item, with
// its picture and its stock at each center the scope sees.
type Catalog struct {
	// Centers are the centers of the scope (the one asked for), in their
	// order; every item's Stock has one for each.
	Centers []Center
	// Items are the catalog's items, active ones first, then by name.
	Items []CatalogItem
}

// CatalogItem is an item of the catalog, its picture and its stock.
type CatalogItem struct {
	Item
	// Picture is the item's picture without its bytes; nil when it has
	// none.
	Picture *Picture
	// Stock is the item's stock at each of Catalog's Centers, in their
	// order.
	Stock []CenterStock
}

// CenterStock is an item's stock at a center, with the recent hand-outs
// that say whether it runs low (StockLevel.Low: the dashboard's rule).
type CenterStock struct {
	StockLevel
	// Held: the center has stock of the item (set or moved once); Qty is
	// 0 and the item never low where it has not.
	Held bool
	// Version is the stock's registry version (the kiosks' snapshot's).
	Version uint64
}

// Total is what the item has at the catalog's centers.
func (c CatalogItem) Total() int64 {
	var n int64
	for _, s := range c.Stock {
		n += s.Qty
	}
	return n
}

// Item is the item of id in the catalog; false when it has none.
func (c Catalog) Item(id record.ItemID) (CatalogItem, bool) {
	i := slices.IndexFunc(c.Items, func(it CatalogItem) bool { return it.ID == id })
	if i < 0 {
		return CatalogItem{}, false
	}
	return c.Items[i], true
}

// Catalog is the catalog with the stock at the centers scope sees (center's
// alone when not "": ErrNotFound when scope does not see it), the pace of
// hand-outs counted over the LowStockWindow's days up to today in zone (the
// district's), as the dashboard counts it.
func (h *Hub) Catalog(ctx context.Context, scope Scope, center string, zone *time.Location) (Catalog, error) {
	if !seesAny(scope) {
		return Catalog{}, fmt.Errorf("catalog: %w", ErrForbidden)
	}
	var out Catalog
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, center)
		if err != nil {
			return err
		}
		out.Centers = cs
		items, err := r.Items()
		if err != nil {
			return err
		}
		pics, err := r.Pictures()
		if err != nil {
			return err
		}
		byItem := map[record.ItemID]*Picture{}
		for i := range pics {
			byItem[pics[i].Item] = &pics[i]
		}
		given, err := h.recentlyGiven(r, cs, zone)
		if err != nil {
			return err
		}
		type key struct {
			center string
			item   record.ItemID
		}
		held := map[key]Stock{}
		for _, c := range cs {
			st, err := r.CenterStock(c.ID)
			if err != nil {
				return err
			}
			for _, s := range st {
				held[key{c.ID, s.Item}] = s
			}
		}
		for _, it := range items {
			ci := CatalogItem{Item: it, Picture: byItem[it.ID]}
			for _, c := range cs {
				s, ok := held[key{c.ID, it.ID}]
				ci.Stock = append(ci.Stock, CenterStock{StockLevel: StockLevel{Center: c, Item: it, Qty: s.Qty, Given: given[centerItem{c.ID, it.ID}]},
					Held: ok, Version: s.Version})
			}
			out.Items = append(out.Items, ci)
		}
		return nil
	})
	if err != nil {
		return Catalog{}, err
	}
	slices.SortStableFunc(out.Items, func(a, b CatalogItem) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Restock is a change of a center's stock of an item made at the hub's
// web: goods received (补货/入库), or a correction (negative) after a
// count. Kept in the history of restocks, append-only.
type Restock struct {
	ID     int64
	At     time.Time
	Center string
	Item   record.ItemID
	// Qty is what was added (below zero: taken away).
	Qty int64
	// After is the center's stock of the item after it.
	After  int64
	Reason string
	// By is the web's user who made it.
	By string
}

// RestockQuery selects restocks of the history.
type RestockQuery struct {
	// Centers: the restocks at these centers; none: at no center.
	Centers []string
	// Item: the restocks of this item; 0 every item.
	Item record.ItemID
	// Before: restocks with an ID below it; 0 for the newest.
	Before int64
	// Limit: at most this many (1 to MaxRestocks; MaxRestocks when 0).
	Limit int
}

// MaxRestocks is the most restocks one read of the history returns.
const MaxRestocks = 500

// RestockRequest is a restock to make.
type RestockRequest struct {
	Center string
	Item   record.ItemID
	Qty    int64
	Reason string
}

// Restock adds req.Qty of an item to a center's stock (a correction takes
// some away, never below zero: a *FieldError wrapping ErrBelowZero) with
// its reason, in the history and the audit log. The center's kiosks have
// it at their next pull. ErrNotFound for a center the scope does not see
// or an item that is not there; a *FieldError for a quantity out of range
// (0 too) or a reason missing or too long.
func (h *Hub) Restock(ctx context.Context, scope Scope, by Actor, req RestockRequest) (Restock, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	switch n := utf8.RuneCountInString(req.Reason); {
	case req.Qty == 0 || req.Qty > MaxRestock || req.Qty < -MaxRestock:
		return Restock{}, &FieldError{Field: FieldQty, Err: fmt.Errorf("restock of %d, want 1 to %d either way: %w", req.Qty, MaxRestock, record.ErrInvalid)}
	case n == 0 || n > MaxRestockReason || strings.IndexFunc(req.Reason, unicode.IsControl) >= 0:
		return Restock{}, &FieldError{Field: FieldReason, Err: fmt.Errorf("a reason of 1 to %d characters: %w", MaxRestockReason, record.ErrInvalid)}
	}
	var out Restock
	err := h.store.Update(ctx, func(tx Tx) error {
		if err := scope.Check(req.Center); err != nil {
			return err
		}
		if _, err := tx.Center(req.Center); err != nil {
			return err
		}
		items, err := tx.Items()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(items, func(it Item) bool { return it.ID == req.Item })
		if i < 0 {
			return fmt.Errorf("item %d: %w", req.Item, ErrNotFound)
		}
		it := items[i]
		s, err := tx.Stock(req.Center, req.Item)
		if errors.Is(err, ErrNotFound) {
			s, err = Stock{Center: req.Center, Item: req.Item}, nil
		}
		if err != nil {
			return err
		}
		if s.Qty+req.Qty < 0 {
			return &FieldError{Field: FieldQty, Err: fmt.Errorf("center %s has %d of %s, %d taken away: %w", req.Center, s.Qty, it.Name, -req.Qty, ErrBelowZero)}
		}
		s.Qty += req.Qty
		if s.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutStock(s); err != nil {
			return err
		}
		out = Restock{At: h.now(), Center: req.Center, Item: req.Item, Qty: req.Qty, After: s.Qty, Reason: req.Reason, By: by.User}
		if err := tx.AddRestock(out); err != nil {
			return err
		}
		return h.audit(tx, by, AuditRestock, req.Center, it.Name, fmt.Sprintf("%+d, %d left: %s", req.Qty, s.Qty, req.Reason))
	})
	if err != nil {
		return Restock{}, err
	}
	return out, nil
}

// Restocks are the restocks of the history at the centers scope sees
// (center's alone when not ""; ErrNotFound when scope does not see it),
// of item when not 0, newest first: at most limit (MaxRestocks when 0 or
// more), below before when not 0.
func (h *Hub) Restocks(ctx context.Context, scope Scope, center string, item record.ItemID, before int64, limit int) ([]Restock, error) {
	if limit <= 0 || limit > MaxRestocks {
		limit = MaxRestocks
	}
	var out []Restock
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, center)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		out, err = r.Restocks(RestockQuery{Centers: ids(cs), Item: item, Before: before, Limit: limit})
		return err
	})
	return out, err
}
