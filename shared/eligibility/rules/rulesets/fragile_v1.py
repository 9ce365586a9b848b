"""The fragile zonings the version 1 rulesets score; published versions never change."""

FRAGILE_ZONINGS_V1 = ("QPV", "FRR", "FRR_PLUS", "ACV", "PVD", "AFR_C", "AFR_A")
"""Version 1's wider reading of research §2, counting PVD and AFR zones as fragile. The
programme's definition, used from version 2 on, is `shared.zonings.kinds.FRAGILE_ZONINGS`."""
