"""The few exception types a user of Kompetanseradar can meet, each with a message that says the fix."""

from __future__ import annotations


class RadarError(Exception):
    """Base class, so the CLI can turn any of ours into a clean message and exit code."""

    exit_code = 1


class ConfigError(RadarError):
    """A setting is missing or wrong; the message names the variable or option to set."""

    exit_code = 2


class SourceError(RadarError):
    """A source (feed, web page, file) could not be read after retries; nothing stored was lost."""

    exit_code = 3


class InputError(RadarError):
    """User input (a file, a query, a week) is malformed; the message says where and how to fix it."""

    exit_code = 4


class WarehouseError(RadarError):
    """The warehouse refused an operation (locked, read-only, failed migration)."""

    exit_code = 5
