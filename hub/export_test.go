package hub

// SetLimits makes a hub's pull and restore pages small, to test paging.
func SetLimits(h *Hub, pullRows, restorePage int) { h.pullLimit, h.restorePage = pullRows, restorePage }
