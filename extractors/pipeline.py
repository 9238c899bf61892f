"""Builds the nb/nn spaCy pipelines from extractors/configs/pipeline.cfg, or loads a trained one from disk."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import load_config, load_model_from_config

# Imported for their registrations (factories and the tokenizer callback), so the pipeline also builds
# where the package's entry points are not installed (a plain checkout on sys.path).
from extractors.components import (  # noqa: F401
    lemmatizer,
    lexicon_matcher,
    mentions,
    sections,
    span_features,
    tokenizer,
)

SUPPORTED_LANGS = ("nb", "nn")
SPAN_COMPONENT = "radar_spans"
LEXICON_COMPONENT = "radar_lexicon_matcher"


def default_config_path() -> Path:
    """The packaged pipeline config."""
    return Path(str(resources.files("extractors") / "configs" / "pipeline.cfg"))


def _check_lang(lang: str) -> None:
    if lang not in SUPPORTED_LANGS:
        raise ValueError(f"lang must be one of {SUPPORTED_LANGS}, not {lang!r}")


def build_pipeline(lang: str = "nb", *, lexicon_dir: Path | None = None, config_path: Path | None = None,
                   with_span_model: bool = False, overrides: dict[str, Any] | None = None) -> Language:
    """A blank nb or nn pipeline with the radar components, configured only through the config.

    The span model needs trained weights, so it is left out unless asked for (training asks for it).
    overrides are dotted config keys ("components.radar_spans.model.tok2vec.encode.depth": 2).
    """
    _check_lang(lang)
    settings: dict[str, Any] = {**(overrides or {}), "nlp.lang": lang}
    if lexicon_dir is not None:
        settings[f"components.{LEXICON_COMPONENT}.lexicon_dir"] = str(lexicon_dir)
    config = load_config(config_path or default_config_path(), overrides=settings, interpolate=False)
    exclude = [] if with_span_model else [SPAN_COMPONENT]
    return load_model_from_config(config, auto_fill=True, validate=True, exclude=exclude)


def load_pipeline(path: Path, lang: str = "nb", *, lexicon_dir: Path | None = None) -> Language:
    """A trained pipeline directory (as written by nlp.to_disk) for nb or nn: one package serves both."""
    _check_lang(lang)
    overrides: dict[str, Any] = {"nlp": {"lang": lang}}
    if lexicon_dir is not None:
        overrides["components"] = {LEXICON_COMPONENT: {"lexicon_dir": str(lexicon_dir)}}
    return spacy.load(path, config=overrides)
