package web

import "github.com/go-chi/chi/v5"

// Routes are w's routes, for the security sweep to walk with chi.Walk.
func Routes(w *Web) chi.Routes { return w.mux }
