"""Small feed entries written for the tests, shaped exactly as pam-stilling-feed returns them."""

from __future__ import annotations

import copy
from typing import Any

ELEKTRIKER: dict[str, Any] = {
    "uuid": "0b6a3c1e-2d7f-4f4e-9a51-1c2d3e4f5a61",
    "status": "ACTIVE",
    "sistEndret": "2026-11-23T08:15:00.000Z",
    "ad_content": {
        "uuid": "0b6a3c1e-2d7f-4f4e-9a51-1c2d3e4f5a61",
        "published": "2026-11-23T08:00:00.000Z",
        "expires": "2026-12-20T23:00:00.000Z",
        "updated": "2026-11-23T08:15:00.000Z",
        "workLocations": [{"country": "NORGE", "address": "Råbekken 4", "city": "FREDRIKSTAD",
                           "postalCode": "1605", "county": "ØSTFOLD", "municipal": "FREDRIKSTAD"}],
        "contactList": [{"name": "Sigrid Haugland", "email": "sigrid.haugland@glomma-elektro.no",
                         "phone": "+47 913 45 678", "role": None, "title": "Avdelingsleder"}],
        "title": "Elektriker til service og nybygg",
        "description": (
            "<p>Glomma Elektro AS er en voksende installatør i Nedre Glomma.</p>"
            "<h3>Arbeidsoppgaver</h3><ul><li>Feilsøking og service hos kunder</li>"
            "<li>Installasjon av varmepumper og solcelleanlegg</li></ul>"
            "<h3>Kvalifikasjoner</h3><ul><li>Fagbrev som elektriker (gr. L)</li><li>Førerkort klasse B</li>"
            "<li>God norsk muntlig og skriftlig</li></ul>"
            "<h3>Ønskelig</h3><ul><li>Erfaring med KNX</li></ul>"
            "<h3>Personlige egenskaper</h3><p>Du er selvstendig, nøyaktig og har gode samarbeidsevner.</p>"
            "<h3>Vi tilbyr</h3><ul><li>Faglig utvikling og gode pensjonsordninger</li></ul>"
            "<p>Spørsmål? Ring Sigrid Haugland på 913 45 678 eller send e-post til jobb@glomma-elektro.no.</p>"
        ),
        "sourceurl": None, "source": "DIR", "applicationUrl": None, "applicationDue": "2026-12-15",
        "occupationCategories": [{"level1": "Bygg og anlegg", "level2": "Elektriker"}],
        "categoryList": [{"categoryType": "STYRK08", "code": "7411", "name": "Elektrikere", "description": None,
                          "score": 1.0}],
        "jobtitle": "Elektriker", "link": "https://arbeidsplassen.nav.no/stillinger/stilling/0b6a3c1e",
        "employer": {"name": "Glomma Elektro AS", "orgnr": "912345678", "description": None, "homepage": None},
        "engagementtype": "Fast", "extent": "Heltid", "starttime": "Etter avtale", "positioncount": "1",
        "sector": "Privat",
    },
}

SJUKEPLEIAR: dict[str, Any] = {
    "uuid": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "status": "ACTIVE",
    "sistEndret": "2026-11-17T09:00:00.000Z",
    "ad_content": {
        "uuid": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "published": "2026-11-17T09:00:00.000Z",
        "expires": "2026-12-10T23:00:00.000Z",
        "updated": "2026-11-17T09:00:00.000Z",
        "workLocations": [{"country": "NORGE", "address": None, "city": "GOL", "postalCode": "3550",
                           "county": "BUSKERUD", "municipal": "GOL"}],
        "contactList": [{"name": "Håkon Bergset", "email": "hakon.bergset@gol.kommune.no", "phone": "32 02 90 00",
                         "role": None, "title": "Einingsleiar"}],
        "title": "Sjukepleiar til heimetenesta",
        "description": (
            "<h2>Om oss</h2><p>Heimetenesta i Gol kommune gjev tenester til innbyggjarar i heile kommunen.</p>"
            "<h2>Arbeidsoppgåver</h2><ul><li>Legemiddelhandtering og sårstell</li><li>Rettleiing av kollegaer</li></ul>"
            "<h2>Kvalifikasjonar</h2><ul><li>Autorisasjon som sjukepleiar</li><li>Førarkort klasse B</li>"
            "<li>God munnleg og skriftleg framstillingsevne på norsk</li></ul>"
            "<h2>Personlege eigenskapar</h2><p>Vi ser etter deg som er sjølvstendig, fleksibel og har gode "
            "samarbeidsevner.</p><h2>Vi tilbyr</h2><p>Gode pensjonsvilkår i KLP.</p>"
        ),
        "sourceurl": None, "source": "DIR", "applicationUrl": None, "applicationDue": "2026-12-01",
        "occupationCategories": [{"level1": "Helse og sosial", "level2": "Sykepleier"}],
        "categoryList": [{"categoryType": "STYRK08", "code": "2223", "name": "Sykepleiere", "description": None,
                          "score": 1.0}],
        "jobtitle": "Sjukepleiar", "link": "https://arbeidsplassen.nav.no/stillinger/stilling/5c1d2e3f",
        "employer": {"name": "Gol kommune", "orgnr": "964952000", "description": None, "homepage": None},
        "engagementtype": "Fast", "extent": "Deltid", "starttime": "Etter avtale", "positioncount": "1",
        "sector": "Offentlig",
    },
}


def changed(entry: dict[str, Any], when: str, **ad_changes: Any) -> dict[str, Any]:
    """A later version of an ad: new change time and some changed fields."""
    new = copy.deepcopy(entry)
    new["sistEndret"] = when
    new["ad_content"]["updated"] = when
    new["ad_content"].update(ad_changes)
    return new


def stopped(entry: dict[str, Any], when: str) -> dict[str, Any]:
    """A stopped ad as NAV publishes it: masked title, employer and contacts."""
    new = changed(entry, when, title="", contactList=[])
    new["status"] = "INACTIVE"
    new["ad_content"]["employer"] = dict(new["ad_content"]["employer"], name="")
    return new
