"""Data layer: declarative base, engine and session factory, keyset pagination."""
