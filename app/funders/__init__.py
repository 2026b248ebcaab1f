"""Funders (资助方) and their staff memberships."""
