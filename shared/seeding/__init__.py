"""Filling a database: the reference geography, the programme's operators, funds and rulesets,
and the demo zonings (what `tidi seed` and the embedded start-up run)."""
