package web

import (
	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
)

// The 积分兑换 section: its landing page here; the catalog, the pictures and
// each center's stock in points_catalog.go; the redemptions and what each
// center gave out under /points/redemptions and /points/month.

// PictureBodyLimit bounds an item's form with its picture: well over
// hub.MaxPictureBytes, so that a phone's photo of a few MB is told it is
// too large at its field rather than refused whole.
const PictureBodyLimit = 16 << 20

// pointsRoutes are the section's paths (the forms that carry a picture
// have their own route, with a larger body limit: pointsUploads).
func (w *Web) pointsRoutes(r chi.Router) {
	r.Get("/points", w.page(w.pointsHome))
	r.Get("/points/catalog", w.page(w.catalogPage))
	r.Get("/points/catalog/export.{format}", w.page(w.catalogExport))
	r.Get("/points/catalog/new", w.page(w.district(w.itemNew)))
	r.Get("/points/catalog/{id}", w.page(w.itemPage))
	r.Get("/points/catalog/{id}/edit", w.page(w.district(w.itemEdit)))
	r.Get("/points/pictures/{id}/{file}", w.page(w.itemPicture))
	r.Get("/points/stock", w.page(w.stockPage))
	r.Get("/points/stock/export.{format}", w.page(w.stockExport))
	r.Get("/points/stock/restocks.{format}", w.page(w.restocksExport))
	r.Get("/points/stock/{center}/{id}", w.page(w.restockPage))
	r.Post("/points/stock/{center}/{id}", w.page(w.restock))
}

// pointsUploads are the section's forms that carry a picture.
func (w *Web) pointsUploads(r chi.Router) {
	r.Post("/points/catalog/new", w.page(w.district(w.itemAdd)))
	r.Post("/points/catalog/{id}/edit", w.page(w.district(w.itemChange)))
}

type pointsHomeView struct {
	Items, Withdrawn, Low int
	District              bool
}

// pointsHome is the section's landing page: the catalog, the stock (how
// much runs low at the user's centers), the redemptions, the month.
func (w *Web) pointsHome(p *Page) error {
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, "", chinaTime)
	if err != nil {
		return err
	}
	v := pointsHomeView{District: p.Scope.District()}
	for _, it := range cat.Items {
		if !it.Active {
			v.Withdrawn++
			continue
		}
		v.Items++
		for _, s := range it.Stock {
			if lowOf(s) {
				v.Low++
			}
		}
	}
	return p.Render("points", v)
}

// lowOf reports whether s is marked low: stock the center holds, running
// low by the dashboard's rule (hub.StockLevel.Low).
func lowOf(s hub.CenterStock) bool { return s.Held && s.Low() }
