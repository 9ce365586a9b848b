"""Reference data shipped with the package (COG geography, demo territories and zonings)."""
