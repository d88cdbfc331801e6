"""Answering: a question → hybrid retrieval over the index → a cited answer, or an honest "not found"."""
