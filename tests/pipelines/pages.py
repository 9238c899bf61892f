"""Web pages written for the tests: an arbeidsplassen ad page (markup as in FORMAT_NOTES D) and an
employer's page with schema.org JobPosting JSON-LD. Names, numbers and addresses are invented."""

from __future__ import annotations

import json

from tests.pipelines.entries import ELEKTRIKER

KINO_UUID = "4c2f7a10-8b3e-4d5f-9a61-2e7c8d9f0b13"

KINO_TEXT = (
    "<p>Er du serviceinnstilt og glad i film? Fredrikstad Kino søker en kinovert i 50 % vikariat.</p>"
    "<h3>Arbeidsoppgaver</h3><ul><li>Billettsalg og kioskdrift</li><li>Tekniske oppgaver ved filmvisning</li></ul>"
    "<h3>Kvalifikasjoner</h3><ul><li>Erfaring fra butikk eller kiosk</li><li>Gode datakunnskaper</li></ul>"
    "<p>Send søknad til kinosjef Helene Dahl på helene.dahl@fredrikstadkino.no, eller ring 48 36 83 18.</p>"
)


def arbeidsplassen_page(uuid: str = KINO_UUID, *, title: str = "Kinovert til Fredrikstad Kino",
                        text: str = KINO_TEXT, company: str = "Fredrikstad Kinodrift AS",
                        location: str = "Nygaardsgata 14, 1607 Fredrikstad, Hjemmekontor ikke mulig",
                        contact: str = "Helene Dahl", changed: str = "25. oktober 2026") -> str:
    """An ad page shaped as arbeidsplassen.nav.no/stillinger/stilling/<uuid> renders it."""
    return f"""<!DOCTYPE html><html lang="no"><head><meta charset="utf-8"><title>{title} - arbeidsplassen.no</title>
<link rel="canonical" href="https://arbeidsplassen.nav.no/stillinger/stilling/{uuid}"></head>
<body><header><nav><a href="/">Arbeidsplassen</a></nav></header>
<main id="main-content"><article><div>
<h1 class="navds-heading">{title}</h1>
<section><div><p>{company}</p></div><div><p>{location}</p></div></section>
<div class="job-posting-text navds-body-long">{text}</div>
<section><div><h2>Søk på jobben</h2><p>Søk senest fredag 15. november</p></div></section>
<section><div><h2>Om jobben</h2></div><dl><dt>Stillingstittel</dt><dd>Kinobetjent</dd>
<dt>Type ansettelse</dt><dd>Vikariat, deltid 50%</dd><dt>Antall stillinger</dt><dd>1</dd></dl></section>
<section><div><h2>Kontaktperson for stillingen</h2><p>{contact}</p><p>Kinosjef</p><p>48368318</p>
<button>Kopier telefonnummer</button><p>helene.dahl@fredrikstadkino.no</p><button>Kopier e-postadresse</button></div></section>
<section><div><h2>Om bedriften</h2><div><p>Fredrikstad Kino har 150 000 besøkende i året.</p></div></div></section>
<section><h2>Annonsedata</h2><dl><dt>Sist endret</dt><dd>{changed}</dd><dt>Stillingsnummer</dt><dd>2776694</dd>
<dt>Referanse</dt><dd>{uuid}</dd></dl></section>
</div></article></main><footer>NAV</footer></body></html>"""


def elektriker_page() -> str:
    """The feed's ELEKTRIKER ad as its arbeidsplassen page shows it."""
    ad = ELEKTRIKER["ad_content"]
    return arbeidsplassen_page(ELEKTRIKER["uuid"], title=ad["title"], text=ad["description"],
                               company=ad["employer"]["name"], location="Råbekken 4, 1605 Fredrikstad",
                               contact="Sigrid Haugland")


JOB_POSTING = {
    "@type": "JobPosting",
    "identifier": {"@type": "PropertyValue", "name": "Nedre Glomma Vann", "value": "JOB-2026-114"},
    "title": "Driftsoperatør vann og avløp",
    "description": ("<p>Nedre Glomma Vann IKS drifter vannverk og renseanlegg for 150 000 innbyggere.</p>"
                    "<h3>Dette blir dine oppgaver</h3><ul><li>Drift og vedlikehold av pumpestasjoner</li>"
                    "<li>Prøvetaking og internkontroll</li></ul><h3>Kvalifikasjoner</h3><ul>"
                    "<li>Fagbrev som VA-operatør</li><li>Førerkort klasse B</li></ul>"
                    "<p>Spørsmål? Kontakt Ola Berg på 909 12 345 eller ola.berg@ngv.no.</p>"),
    "datePosted": "2026-11-20",
    "validThrough": "2026-12-15T23:59:00+01:00",
    "employmentType": "FULL_TIME",
    "hiringOrganization": {"@type": "Organization", "name": "Nedre Glomma Vann IKS", "identifier": "998877665"},
    "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Sarpsborg",
                                                  "postalCode": "1706", "addressRegion": "Østfold",
                                                  "addressCountry": "NO"}},
    "applicationContact": {"@type": "ContactPoint", "name": "Ola Berg", "email": "ola.berg@ngv.no",
                           "telephone": "+47 909 12 345"},
    "occupationalCategory": "3132 Operatører ved forbrenningsanlegg og vannbehandlingsanlegg",
}


def json_ld_page(posting: dict | None = None) -> str:
    """An employer's career page carrying its ad as JSON-LD (inside an @graph, as many CMSs emit it)."""
    graph = {"@context": "https://schema.org",
             "@graph": [{"@type": "WebPage", "name": "Ledige stillinger"}, posting or JOB_POSTING]}
    return f"""<html><head><title>Jobb hos oss</title>
<script type="application/ld+json">{json.dumps(graph, ensure_ascii=False)}</script></head>
<body><h1>Ledige stillinger</h1><p>Se stillingen under.</p></body></html>"""


NOT_AN_AD = "<html><head><title>Om oss</title></head><body><h1>Om oss</h1><p>Vi lager kino.</p></body></html>"
