package hub

// Observer hears what the hub does that a monitor counts. The hub holds
// no monitoring library of its own: hub/server's /metrics implements it.
// Its methods are called after the change is committed, from the request
// that made it, and must not block.
type Observer interface {
	// Ingested: a push of terminal, a kiosk of center, stored n entries
	// the hub did not hold (n > 0).
	Ingested(terminal, center string, n int)
}

// observer holds the Observer, so that it can be set while requests run.
type observer struct{ Observer }

// Observe sends what the hub does to o from now on; nil stops it. A
// server sets it when it is made for the hub.
func (h *Hub) Observe(o Observer) {
	if o == nil {
		h.observer.Store(nil)
		return
	}
	h.observer.Store(&observer{o})
}

// observed is the Observer, or nil.
func (h *Hub) observed() Observer {
	if o := h.observer.Load(); o != nil {
		return o.Observer
	}
	return nil
}
