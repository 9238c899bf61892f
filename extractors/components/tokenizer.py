"""Tokenizer rules for what job ads contain: C#, F#, .NET, kl. B, fagbrev/svennebrev, bullets, T4."""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex

SPECIAL_CASES = ("C#", "F#", "c#", "f#", "C++", "c++", ".NET", "ASP.NET", "Node.js", "Vue.js", "kl.", "ca.", "f.eks.")
BULLETS = r"[•·▪◦‣●■□–—*]"


def customise_tokenizer(nlp: Language) -> Tokenizer:
    """The language's tokenizer plus ad-specific rules; keeps every default rule it does not override."""
    tokenizer = nlp.tokenizer
    for case in SPECIAL_CASES:
        tokenizer.add_special_case(case, [{ORTH: case}])
        tokenizer.add_special_case(case + ",", [{ORTH: case}, {ORTH: ","}])
        tokenizer.add_special_case(case + ".", [{ORTH: case}, {ORTH: "."}])
    infixes = list(nlp.Defaults.infixes or []) + [
        r"(?<=[\wæøåÆØÅ])/(?=[\wæøåÆØÅ])",  # fagbrev/svennebrev
        BULLETS,
    ]
    suffixes = list(nlp.Defaults.suffixes or []) + [
        r"(?<=[A-ZÆØÅ][0-9])\.",  # "T4." at the end of a sentence
        r"(?<=[0-9]{2})\.",
    ]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    return tokenizer


@spacy.registry.callbacks("radar.job_ad_tokenizer.v1")
def create_job_ad_tokenizer_callback() -> Callable[[Language], Language]:
    """Config hook ([initialize.before_init] / [nlp.after_creation]) that installs the ad rules."""

    def apply(nlp: Language) -> Language:
        nlp.tokenizer = customise_tokenizer(nlp)
        return nlp

    return apply
