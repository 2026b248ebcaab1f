"""Event handlers that turn domain events into notifications (placeholder)."""
