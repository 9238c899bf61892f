"""Competence extraction for Norwegian job ads and strategy texts (spaCy + transformer, ESCO-linked)."""
