"""Eligibility screening and scoring of fund applications."""
