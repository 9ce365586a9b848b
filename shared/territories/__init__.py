"""Territoires d'industrie: groups of EPCIs led by a binôme."""
