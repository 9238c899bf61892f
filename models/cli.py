"""Command-line entry points of the models: `radar occupation` and `radar train ...` (registered in pipelines/cli.py).

Heavy imports (scikit-learn, the model itself) happen inside the commands, so `radar --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipelines.errors import ConfigError, InputError

train_app = typer.Typer(
    help="Train models into versioned artefact directories (model files + model card + content hash).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ModelVersion = Annotated[Optional[str], typer.Option("--model-version", help="Artefact version (default: CURRENT).")]
ModelDir = Annotated[Optional[Path], typer.Option(
    "--model-dir", help="Artefact root holding occupation/<version>/ (default: the committed models/artefacts).")]
ModelsCache = Annotated[Optional[Path], typer.Option(
    "--models-dir", help="Model cache with the converted e5 encoder (default: $RADAR_MODELS_DIR or data/models).")]
NoE5 = Annotated[bool, typer.Option("--no-e5", help="Use the linear model alone, without the e5 encoder.")]


def occupation_models_dir(models_dir: Path | None) -> Path:
    """The model cache holding the e5 encoder: the option, else the settings' model cache."""
    from pipelines.settings import Settings

    return Settings.from_env().with_overrides(models_dir=models_dir).model_cache_dir


def read_items(path: Path) -> tuple[list[Any], list[str]]:
    """Items of a JSONL file of {"id", "title", "text"} objects, and one message per malformed line."""
    from models.occupation import Item

    items, problems = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise TypeError(f"a JSON {type(record).__name__}, not an object")
                if "id" not in record or not isinstance(record.get("title"), str):
                    raise KeyError("needs \"id\" and a string \"title\"")
                text = record.get("text") or ""
                if not isinstance(text, str):
                    raise TypeError("\"text\" must be a string")
                items.append(Item(str(record["id"]), record["title"], text, str(record.get("jobtitle") or ""),
                                  str(record.get("employer") or "")))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                problems.append(f"{path}:{number}: skipped, not a {{\"id\", \"title\", \"text\"}} object ({exc})")
    return items, problems


def occupation(
    input_path: Annotated[Path, typer.Argument(help="JSONL, one {\"id\", \"title\", \"text\"} per line "
                                               "(optional \"jobtitle\", \"employer\").", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the classifications (JSONL).")],
    model_version: ModelVersion = None,
    model_dir: ModelDir = None,
    models_dir: ModelsCache = None,
    no_e5: NoE5 = False,
) -> None:
    """Classify ads into STYRK-08 occupations: code, label, probability and top 3; styrk08 is null when unsure."""
    from models.artefacts import ArtefactError
    from models.occupation import load_classifier, load_encoder

    items, problems = read_items(input_path)
    for problem in problems:
        typer.echo(problem, err=True)
    try:
        model = load_classifier(model_version, str(model_dir) if model_dir else None)
    except (ArtefactError, ValueError) as exc:
        raise ConfigError(str(exc)) from exc
    if model.semantic is not None and not no_e5:
        model = model.with_encoder(load_encoder(occupation_models_dir(models_dir)))
    predictions = model.predict(items)
    with output.open("w", encoding="utf-8") as out:
        for prediction in predictions:
            out.write(json.dumps(prediction.as_dict(), ensure_ascii=False) + "\n")
    abstained = sum(p.styrk08 is None for p in predictions)
    typer.echo(f"{len(items)} ads → {output} with {model.active_version}; {abstained} below the threshold "
               f"{model.active_threshold:g}" + (f"; {len(problems)} line(s) skipped" if problems else ""), err=True)
    if problems:
        raise typer.Exit(InputError.exit_code)


@train_app.command("occupation")
def train_occupation(
    shared_data: Annotated[Optional[Path], typer.Option(
        "--shared-data", help="Folder with taxonomies/ and job_ads/ (default: ../shared/data beside the repo).")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Artefact root to write occupation/<version>/ into (default: models/artefacts).")] = None,
    version: Annotated[Optional[str], typer.Option(help="Version name (default: v<format>-<content hash>).")] = None,
    no_dev: Annotated[bool, typer.Option("--no-dev", help="Leave the hand-coded dev ads out of training.")] = False,
    written_ads: Annotated[Optional[Path], typer.Option(
        "--written-ads", help="The team's written, hand-coded ads (JSONL: id, title, jobtitle, text, styrk08; "
                              "default: models/data/written_occupation_ads.jsonl).")] = None,
    no_written: Annotated[bool, typer.Option("--no-written", help="Leave the written ads out of training.")] = False,
    keep_current: Annotated[bool, typer.Option(
        "--keep-current", help="Store the new version but leave CURRENT (what the pipelines load) as it is.")] = False,
    models_dir: ModelsCache = None,
    no_e5: NoE5 = False,
) -> None:
    """Train the STYRK-08 occupation classifier from ../shared/data and the team's labelled ads."""
    from models.occupation import GOLD_FILE, WRITTEN_ADS_FILE, default_shared_data, load_encoder, train

    data = shared_data or default_shared_data()
    if not (data / "taxonomies").is_dir():
        if shared_data is not None:
            raise ConfigError(f"--shared-data {data}: no taxonomies/ folder there; point it at the shared data folder")
        typer.echo(f"radar train occupation: {data} is absent, nothing to train; the committed model in "
                   f"models/artefacts/occupation/ stays in use (pass --shared-data PATH to train)", err=True)
        return
    if written_ads is not None and not written_ads.is_file():
        raise ConfigError(f"--written-ads {written_ads}: no such file; pass the JSONL of hand-coded ads "
                          f"or --no-written")
    cache = occupation_models_dir(models_dir)
    encoder = None if no_e5 else load_encoder(cache)
    artefact = train(data, gold_path=None if no_dev else GOLD_FILE,
                     written_path=None if no_written else (written_ads or WRITTEN_ADS_FILE), root=out,
                     version=version, make_current=not keep_current, encoder=encoder,
                     cache_dir=cache / "occupation-cache")
    card = artefact.card
    dev = card["metrics"].get("cv_dev_ads", {})
    typer.echo(f"occupation {artefact.version} → {artefact.path} ({card['training_seconds']} s; "
               f"hash {artefact.content_hash[:12]}){'' if keep_current else '; now CURRENT'}"
               f"{'; with e5 ' + card['semantic']['encoder'] if card.get('semantic') else '; linear model only'}")
    if dev.get("n"):
        typer.echo(f"out-of-fold on {dev['n']} dev ads: accuracy {dev['accuracy_1']:.3f} / {dev['accuracy_2']:.3f} / "
                   f"{dev['accuracy_4']:.3f} at 1 / 2 / 4 digits; threshold "
                   f"{(card.get('semantic') or card['calibration'])['threshold']} keeps "
                   f"{dev['at_threshold']['coverage']:.0%} at {dev['at_threshold']['accuracy_4_kept']:.3f}")
