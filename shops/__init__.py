"""Shops, their staff and their offers."""
