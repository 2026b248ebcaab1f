"""Application pages (placeholder until the views land)."""
