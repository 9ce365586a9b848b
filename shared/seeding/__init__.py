"""Filling a database: the reference geography, the programme's operators, funds and rulesets
(`tidi seed`), and the demo zonings (only on request: `tidi seed --demo`, `tidi dev`)."""
