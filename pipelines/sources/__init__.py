"""Where documents come from: NAV's feed, HTML pages, files and strategy documents (no Prefect here)."""
