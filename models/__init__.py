"""Trained models (occupation classifier), their training entry points and versioned artefacts."""
