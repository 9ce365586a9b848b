"""Zonings of communes (QPV, FRR, AFR, ACV, PVD, TI): dated rows and what the data covers."""
