"""Tokenizer rules for what job ads contain: C#, F#, .NET, kl. B, fagbrev/svennebrev, bullets, T4.

Every rule exists so that an annotated span (ANNOTATION.md) starts and ends on a token boundary:
'samarbeids-' in 'samarbeids- og kommunikasjonsevner' must give the token 'samarbeids', 'klasse B.' at
the end of a sentence must give 'B', and 'Microsoft 365-løsninger' must give 'Microsoft 365'.
"""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from extractors.components.sections import remember_text

SPECIAL_CASES = ("C#", "F#", "c#", "f#", "C++", "c++", ".NET", "ASP.NET", "Node.js", "Vue.js", "kl.", "ca.", "f.eks.")
BULLETS = r"[•·▪◦‣●■□–—*]"


class JobAdTokenizer(Tokenizer):
    """spaCy's tokenizer, which also hands each doc's text to sections.doc_text.

    The tokenizer keeps every character, so the text it was given is the doc's text; later steps (section
    lines, requirement sentences, mention texts) need it, and spaCy rebuilds it token by token on every
    doc.text. Serialises as the plain Tokenizer does (same rules, same files).
    """

    def __call__(self, text: str) -> Doc:
        doc = super().__call__(text)
        remember_text(doc, text)
        return doc


def customise_tokenizer(nlp: Language) -> Tokenizer:
    """The language's tokenizer plus ad-specific rules; keeps every default rule it does not override."""
    base = nlp.tokenizer
    tokenizer = JobAdTokenizer(nlp.vocab, rules=base.rules, prefix_search=base.prefix_search,
                               suffix_search=base.suffix_search, infix_finditer=base.infix_finditer,
                               token_match=base.token_match, url_match=base.url_match,
                               faster_heuristics=base.faster_heuristics)
    for case in SPECIAL_CASES:
        tokenizer.add_special_case(case, [{ORTH: case}])
        tokenizer.add_special_case(case + ",", [{ORTH: case}, {ORTH: ","}])
        tokenizer.add_special_case(case + ".", [{ORTH: case}, {ORTH: "."}])
    infixes = list(nlp.Defaults.infixes or []) + [
        r"(?<=[\wæøåÆØÅ])/(?=[\wæøåÆØÅ])",  # fagbrev/svennebrev
        r"(?<=[0-9])-(?=[a-zæøå]{3,})",  # Microsoft 365-løsninger
        BULLETS,
    ]
    suffixes = list(nlp.Defaults.suffixes or []) + [
        r"(?<=[A-ZÆØÅ][0-9])\.",  # "T4." at the end of a sentence
        r"(?<=[0-9])\.",  # "ISO 9606-1." at the end of a sentence
        r"(?<=\b[A-ZÆØÅ])\.",  # "klasse B." and "gruppe L." at the end of a sentence
        r"(?<=[\wæøå]{2})-",  # "samarbeids- og ...": the hyphen marks an elided head, not part of the word
        r"/",  # "overvåking/ styring"
    ]
    prefixes = list(nlp.Defaults.prefixes or []) + [r"/", BULLETS]  # "ledererfaring /utdanning", "•Sveising"
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    return tokenizer


@spacy.registry.callbacks("radar.job_ad_tokenizer.v1")
def create_job_ad_tokenizer_callback() -> Callable[[Language], Language]:
    """Config hook ([initialize.before_init] / [nlp.after_creation]) that installs the ad rules."""

    def apply(nlp: Language) -> Language:
        nlp.tokenizer = customise_tokenizer(nlp)
        return nlp

    return apply
