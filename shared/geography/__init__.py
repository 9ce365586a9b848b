"""French administrative geography (COG): regions, departments, EPCIs, communes."""
