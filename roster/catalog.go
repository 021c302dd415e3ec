package roster

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// Item is one row of a catalog file: something points buy, its first stock
// at the center, and a per-person limit.
type Item struct {
	Line  int
	Name  string
	Price int64 // points per unit (所需积分), > 0
	Stock int64 // units at the center (库存), >= 0
	// Limit units per person per Period (限兑数量/限兑周期); 0: no limit.
	Limit  int64
	Period Period
}

// Catalog is what ReadCatalog read.
type Catalog struct {
	Source
	Rows     []Item
	Problems []Problem
}

// Column keys of a catalog file.
const (
	ColItem   = "物品名称"
	ColPrice  = "所需积分"
	ColStock  = "库存"
	ColLimit  = "限兑数量"
	ColPeriod = "限兑周期"
)

var catalogColumns = []column{
	{key: ColItem, names: []string{"物品名称", "物品", "名称", "商品名称", "商品", "礼品名称", "兑换物品", "item", "name"}, required: true},
	{key: ColPrice, names: []string{"所需积分", "积分", "兑换积分", "积分价格", "单价", "price", "points"}, required: true},
	{key: ColStock, names: []string{"库存", "数量", "库存数量", "初始库存", "stock"}},
	{key: ColLimit, names: []string{"限兑数量", "限兑", "每人限兑", "限量", "limit"}},
	{key: ColPeriod, names: []string{"限兑周期", "周期", "period"}},
}

const maxItemName = 32

// ReadCatalog reads a catalog from CSV or XLSX. Required: 物品名称 and
// 所需积分; 库存 blank is none; 限兑数量 and 限兑周期 (周, 月 or 年; 日 too) go
// together. A name twice in the file is a problem on its second row.
func ReadCatalog(r io.Reader) (*Catalog, error) {
	t, src, err := read(r, catalogColumns)
	if err != nil {
		return nil, err
	}
	out := &Catalog{Source: src}
	names := map[string]int{}
	for _, d := range t.dataRows(&out.Problems) {
		before := len(out.Problems)
		it := Item{Line: d.line, Name: d.get(ColItem)}
		switch n := utf8.RuneCountInString(it.Name); {
		case n == 0:
			d.problem(ColItem, "不能为空 (required)")
		case n > maxItemName:
			d.problem(ColItem, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxItemName, maxItemName))
		default:
			if first, ok := names[it.Name]; ok {
				d.problem(ColItem, fmt.Sprintf("与第%d行重复 (the same as line %d)", first, first))
			} else {
				names[it.Name] = d.line
			}
		}
		if d.get(ColPrice) == "" {
			d.problem(ColPrice, "不能为空 (required)")
		} else if n, ok := readWhole(d, ColPrice); ok {
			if n == 0 {
				d.problem(ColPrice, "要大于 0 (must be above 0)")
			}
			it.Price = n
		}
		it.Stock, _ = readWhole(d, ColStock)
		it.Limit, _ = readWhole(d, ColLimit)
		p, err := period(d.get(ColPeriod))
		if err != nil {
			d.problem(ColPeriod, err.Error())
		}
		it.Period = p
		switch {
		case err != nil:
		case it.Limit > 0 && p == NoLimit:
			d.rowProblem(ColPeriod, "有限兑数量就要填限兑周期 (a limit needs its period: 周, 月 or 年)")
		case it.Limit == 0 && p != NoLimit:
			d.rowProblem(ColLimit, "有限兑周期就要填限兑数量 (a period needs its limit)")
		}
		if len(out.Problems) == before {
			out.Rows = append(out.Rows, it)
		}
	}
	return out, nil
}
