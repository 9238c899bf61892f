"""spaCy components of the radar pipeline, each registered as a factory."""
