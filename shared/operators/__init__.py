"""Partner operators: Bpifrance, Banque des Territoires, France Travail, ADEME, and the Regions."""
