"""HTML to structured text, masking, language, contacts stripped."""

from __future__ import annotations

import json

from pipelines.normalise import (
    detect_language,
    html_to_text,
    mask_pii,
    normalise_entry,
    strip_contacts,
)
from tests.pipelines.entries import ELEKTRIKER, SJUKEPLEIAR


def test_headings_and_list_items_stay_on_their_own_lines() -> None:
    text = html_to_text("<h3>Kvalifikasjoner</h3><ul><li>Fagbrev</li><li>Førerkort <b>klasse B</b></li></ul>"
                        "<p>Tekst<br>ny linje</p><script>x()</script>")
    assert text.split("\n") == ["Kvalifikasjoner", "- Fagbrev", "- Førerkort klasse B", "Tekst", "ny linje"]


def test_text_is_nfc_and_entities_are_decoded() -> None:
    text = html_to_text("<p>Ba\u030atf&oslash;rer &amp; l&aelig;rer&nbsp;s&oslash;kes</p>")
    assert text == "Båtfører & lærer søkes" and len(text) == 22


def test_double_encoded_ads_are_stored_repaired() -> None:
    broken = "<p>Vi søker tømrer med fagbrev og førerkort</p>".encode("utf-8").decode("cp1252")
    assert html_to_text(broken) == "Vi søker tømrer med fagbrev og førerkort"


def test_emails_phones_and_contact_names_are_masked_but_years_and_orgnr_kept() -> None:
    text = ("Kontakt Kari Nordmann på 913 45 678, +47 22 33 44 55 eller kari@firma.no. "
            "Stiftet 2019, orgnr 912 345 678, postnr 1605.")
    masked = mask_pii(text, ["Kari Nordmann"])
    assert "Kari" not in masked and "913" not in masked and "22 33" not in masked and "@" not in masked
    assert "2019" in masked and "912 345 678" in masked and "1605" in masked


def test_language_tells_bokmal_from_nynorsk_and_english() -> None:
    assert detect_language("Vi søker en selvstendig elektriker med fagbrev og gode samarbeidsevner.") == "nb"
    assert detect_language("Vi søkjer ein sjølvstendig sjukepleiar med god munnleg og skriftleg norsk.") == "nn"
    assert detect_language("We are looking for an experienced developer to join our team.") == "en"
    assert detect_language("") == "other"


def test_strip_contacts_removes_contact_list_and_masks_description() -> None:
    clean = strip_contacts(ELEKTRIKER)
    dumped = json.dumps(clean, ensure_ascii=False)
    assert "contactList" not in dumped
    assert "Sigrid" not in dumped and "913 45 678" not in dumped and "jobb@glomma-elektro.no" not in dumped
    assert ELEKTRIKER["ad_content"]["contactList"], "the input must not be changed"


def test_normalise_entry_locates_and_codes_an_ad() -> None:
    ad = normalise_entry(ELEKTRIKER, entry_id="e1")
    assert ad.ad_id == f"nav:{ELEKTRIKER['uuid']}" and ad.status == "ACTIVE"
    assert ad.language == "nb" and ad.styrk08 == "7411"
    assert ad.county_name_2024 == "Østfold" and ad.municipality_code_2024 == "3107"
    assert "- Fagbrev som elektriker (gr. L)" in ad.text.split("\n")
    assert "Sigrid" not in ad.text and "[telefon]" in ad.text


def test_normalise_nynorsk_ad() -> None:
    ad = normalise_entry(SJUKEPLEIAR, entry_id="e2")
    assert ad.language == "nn" and ad.county_name_2024 == "Buskerud"
