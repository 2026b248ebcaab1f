"""Inbox pages (placeholder until the views land)."""
