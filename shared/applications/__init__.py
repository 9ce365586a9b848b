"""Fund applications: drafts, completeness, submission, lifecycle."""
