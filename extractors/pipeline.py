"""Builds the nb/nn spaCy pipelines from extractors/configs/pipeline.cfg."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.util import load_config, load_model_from_config

# Imported for their registrations (factories and the tokenizer callback).
from extractors.components import lemmatizer, lexicon_matcher, sections, tokenizer  # noqa: F401

SUPPORTED_LANGS = ("nb", "nn")


def default_config_path() -> Path:
    """The packaged pipeline config."""
    return Path(str(resources.files("extractors") / "configs" / "pipeline.cfg"))


def build_pipeline(lang: str = "nb", *, lexicon_dir: Path | None = None, config_path: Path | None = None) -> Language:
    """A blank nb or nn pipeline with the radar components, configured only through the config."""
    if lang not in SUPPORTED_LANGS:
        raise ValueError(f"lang must be one of {SUPPORTED_LANGS}, not {lang!r}")
    overrides: dict[str, object] = {"nlp.lang": lang}
    if lexicon_dir is not None:
        overrides["components.radar_lexicon_matcher.lexicon_dir"] = str(lexicon_dir)
    config = load_config(config_path or default_config_path(), overrides=overrides, interpolate=False)
    return load_model_from_config(config, auto_fill=True, validate=True)
