"""Stateful flows over a Session: observe, apply, destroy, status, state operations."""
