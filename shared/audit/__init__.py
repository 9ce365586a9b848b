"""Append-only audit log of every change, with actor and reason."""
