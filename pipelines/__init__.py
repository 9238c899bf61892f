"""Kompetanseradar pipelines: sources, normalisation, Prefect flows and the `radar` CLI."""
