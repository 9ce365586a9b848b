"""Funds (schemes): windows, envelopes, aid forms, the operator that instructs them."""
