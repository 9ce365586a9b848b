"""Industrial projects registered by the territories, and their lifecycle."""
