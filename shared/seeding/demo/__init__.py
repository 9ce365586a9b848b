"""The synthetic demo dataset (`tidi demo generate`): territories over real EPCIs,
companies, projects, applications in every state, decisions, awards, payments, outcomes,
zonings and sites, generated from a seed and labelled as synthetic everywhere.

Generation is pure (`generate.py`: a `random.Random(seed)` over the reference geography read
once, into plain rows); `repository.py` writes the rows in bulk; `service.py` runs both.
"""
