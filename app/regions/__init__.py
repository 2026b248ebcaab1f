"""Administrative regions (行政区划)."""
