"""``GalleryIndex``: a faiss inner-product index over L2-normalised vectors with stable ids.

Each entry has a caller-chosen int64 id (e.g. a ProductImage pk) and a string label (the
product SKU).  Internally faiss holds vectors at sequential positions; ``remove`` only masks
positions (O(1), searches skip them through an ``IDSelector``), re-adding an id masks its
old position, and ``rebuild`` compacts.  Kinds: ``flat`` (exact, default), ``hnsw`` (graph;
cannot delete, hence the mask) and ``ivf`` (inverted lists, trained on the vectors present
at the first add/rebuild, retrained by ``rebuild``).

Thread-safety: a readers-writer lock.  Any number of searches run together (faiss releases
the GIL); ``add``/``remove`` take the write lock briefly.  ``rebuild`` builds the new index
outside the lock from a snapshot, then replays the changes made meanwhile and swaps it in,
so searches are never blocked for the length of a rebuild.

``save(path)`` writes ``path`` (a faiss index) and ``path.meta.json`` (kind, dim, ids,
labels, mask, extractor version, sha256 of the index file); ``load`` checks the sha256 and
the shapes and raises ``GalleryError`` with a clear message when they do not match.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
KINDS = ("flat", "hnsw", "ivf")


class GalleryError(RuntimeError):
    """A gallery file is missing, corrupt or does not match its manifest; or a bad call."""


class RWLock:
    """Readers-writer lock, writer-preferring (a waiting writer stops new readers)."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self):
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self):
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


# Exact (flat) search: below this many queries faiss scans the gallery once per query, from it
# on once per batch through BLAS.  Measured on 100k x 512 vectors, one faiss thread: 11 ms per
# query scanned vs 27-36 ms per BLAS batch of 4 to 12, so a basket of 4+ crops goes through
# BLAS (faiss's default threshold is 20: a 5-item photo took 52 ms instead of 33).
FLAT_BLAS_MIN_QUERIES = 4


def _faiss():
    import faiss

    faiss.cvar.distance_compute_blas_threshold = FLAT_BLAS_MIN_QUERIES
    return faiss


def set_search_threads(threads: int) -> None:
    """faiss OpenMP threads for the whole process (searches, IVF training, BLAS).

    1 is the right default next to Paddle on a small CPU: a photo's few queries gain little
    from parallelism, and a second OpenMP team fighting Paddle's for two cores made a
    30-query flat search over 100k vectors take 775 ms instead of 65 ms (see
    docs/benchmarks.md).
    """
    _faiss().omp_set_num_threads(max(1, int(threads)))


class GalleryIndex:
    """``GalleryIndex(dim, kind="flat"|"hnsw"|"ivf", *, hnsw_m=32, ef_search=64, nlist=None, nprobe=16)``.

    ``add(ids, vectors, labels)``, ``remove(ids)``, ``search(vectors, k)`` ->
    ``[[(id, label, score), ...] per query]`` (best first, at most k), ``len(index)``,
    ``labels`` ({id: label}), ``save(path)``, ``GalleryIndex.load(path)``, ``rebuild()``.
    """

    def __init__(
        self,
        dim: int,
        kind: str = "flat",
        *,
        hnsw_m: int = 32,
        ef_search: int = 64,
        nlist: int | None = None,
        nprobe: int = 16,
        version: str = "",
    ):
        if kind not in KINDS:
            raise GalleryError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.dim = int(dim)
        self.kind = kind
        self.hnsw_m = int(hnsw_m)
        self.ef_search = int(ef_search)
        self.nlist = nlist
        self.nprobe = int(nprobe)
        self.version = version  # the FeatureExtractor.version that made the vectors
        self._lock = RWLock()
        self._index = None  # built lazily (IVF needs training data)
        self._pos_ids = np.zeros(0, np.int64)  # position -> external id
        self._pos_labels: list[str] = []  # position -> label
        self._where: dict[int, int] = {}  # external id -> live position
        self._masked: set[int] = set()  # dead positions
        self._selector = None
        self._journal: list | None = None  # changes made during a rebuild

    # ---- building -------------------------------------------------------------------
    def _new_index(self, train: np.ndarray | None):
        faiss = _faiss()
        if self.kind == "flat":
            return faiss.IndexFlatIP(self.dim)
        if self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = self.ef_search
            return index
        n = 0 if train is None else len(train)
        nlist = self.nlist or max(1, min(4096, int(4 * np.sqrt(max(n, 1)))))
        nlist = max(1, min(nlist, n // 39 if n >= 39 else 1))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index._quantizer = quantizer  # keep the Python owner alive
        if train is not None and len(train):
            index.train(np.ascontiguousarray(train, dtype=np.float32))
        index.nprobe = min(self.nprobe, nlist)
        index.make_direct_map()  # kept up to date by add(): rebuild() can read vectors back
        return index

    def _check_vectors(self, vectors) -> np.ndarray:
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise GalleryError(f"vectors must have shape [n, {self.dim}], got {list(arr.shape)}")
        if not np.isfinite(arr).all():
            raise GalleryError("vectors contain NaN or infinity")
        return arr

    # ---- mutations ------------------------------------------------------------------
    def add(self, ids: Sequence[int], vectors, labels: Sequence[str]) -> None:
        """Add (or replace, for an id already present) entries; vectors should be L2-normalised."""
        ids_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        vecs = self._check_vectors(vectors)
        labels = [str(label) for label in labels]
        if not (len(ids_arr) == len(vecs) == len(labels)):
            raise GalleryError(f"add: {len(ids_arr)} ids, {len(vecs)} vectors and {len(labels)} labels")
        if len(set(ids_arr.tolist())) != len(ids_arr):
            raise GalleryError("add: duplicate ids in one call")
        if not len(ids_arr):
            return
        if self._index is None:
            with self._lock.write():
                if self._index is None:  # IVF trains on everything in the first add, not one chunk
                    self._index = self._new_index(vecs)
        # Chunks keep each write-lock hold short (an HNSW insertion is not free).
        chunk = 128 if self.kind == "hnsw" else 4096
        for start in range(0, len(ids_arr), chunk):
            part = (ids_arr[start : start + chunk], vecs[start : start + chunk], labels[start : start + chunk])
            with self._lock.write():
                self._add_locked(*part)
                if self._journal is not None:
                    self._journal.append(("add", *part))

    def _add_locked(self, ids_arr, vecs, labels) -> None:
        if self._index is None:
            self._index = self._new_index(vecs)
        start = int(self._index.ntotal)
        self._index.add(vecs)
        for i, ext in enumerate(ids_arr.tolist()):
            old = self._where.get(ext)
            if old is not None:
                self._masked.add(old)
            self._where[ext] = start + i
        self._pos_ids = np.concatenate([self._pos_ids, ids_arr])
        self._pos_labels.extend(labels)
        self._selector = None

    def remove(self, ids: Iterable[int]) -> int:
        """Remove entries by id (unknown ids are ignored); returns how many were removed."""
        ids_list = [int(i) for i in ids]
        with self._lock.write():
            removed = self._remove_locked(ids_list)
            if self._journal is not None:
                self._journal.append(("remove", ids_list))
        return removed

    def _remove_locked(self, ids_list) -> int:
        removed = 0
        for ext in ids_list:
            pos = self._where.pop(ext, None)
            if pos is not None:
                self._masked.add(pos)
                removed += 1
        if removed:
            self._selector = None
        return removed

    def rebuild(self) -> None:
        """Compact: a fresh index of the live entries only (retrains IVF). Searches continue meanwhile."""
        with self._lock.write():
            if self._journal is not None:
                raise GalleryError("a rebuild is already running")
            self._journal = []
            live = sorted(self._where.items(), key=lambda kv: kv[1])
            positions = np.array([pos for _, pos in live], dtype=np.int64)
            ids_arr = np.array([ext for ext, _ in live], dtype=np.int64)
            labels = [self._pos_labels[pos] for pos in positions.tolist()]
            index = self._index
        try:
            # Read lock: writers may not grow the storage while we copy it; searches go on.
            with self._lock.read():
                vecs = self._reconstruct(index, positions)
            fresh = GalleryIndex(
                self.dim,
                self.kind,
                hnsw_m=self.hnsw_m,
                ef_search=self.ef_search,
                nlist=self.nlist,
                nprobe=self.nprobe,
                version=self.version,
            )
            if len(ids_arr):
                fresh._add_locked(ids_arr, vecs, labels)
        except BaseException:
            with self._lock.write():
                self._journal = None
            raise
        with self._lock.write():
            for op in self._journal:
                if op[0] == "add":
                    fresh._add_locked(*op[1:])
                else:
                    fresh._remove_locked(op[1])
            self._journal = None
            self._index, self._pos_ids, self._pos_labels = fresh._index, fresh._pos_ids, fresh._pos_labels
            self._where, self._masked, self._selector = fresh._where, fresh._masked, None

    def _reconstruct(self, index, positions: np.ndarray) -> np.ndarray:
        """The stored vectors at ``positions`` (one bulk copy; IVF keeps a direct map for this)."""
        if index is None or not len(positions):
            return np.zeros((0, self.dim), np.float32)
        upto = int(positions.max()) + 1
        return np.ascontiguousarray(index.reconstruct_n(0, upto)[positions], dtype=np.float32)

    # ---- queries --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._where)

    @property
    def labels(self) -> dict[int, str]:
        """{id: label} of the live entries."""
        with self._lock.read():
            return {ext: self._pos_labels[pos] for ext, pos in self._where.items()}

    @property
    def masked(self) -> int:
        """Removed entries still taking space until ``rebuild``."""
        return len(self._masked)

    def _search_params(self):
        faiss = _faiss()
        if not self._masked:
            sel = None
        else:
            if self._selector is None:
                batch = faiss.IDSelectorBatch(np.fromiter(self._masked, dtype=np.int64))
                self._selector = (faiss.IDSelectorNot(batch), batch)
            sel = self._selector[0]
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=sel, efSearch=self.ef_search) if sel else None
        if self.kind == "ivf":
            return faiss.SearchParametersIVF(sel=sel, nprobe=self._index.nprobe) if sel else None
        return faiss.SearchParameters(sel=sel) if sel else None

    def search(self, vectors, k: int) -> list[list[tuple[int, str, float]]]:
        """Top-``k`` (id, label, inner product) per query row, best first, in one faiss call."""
        queries = self._check_vectors(vectors)
        with self._lock.read():
            if self._index is None or not self._where or not len(queries):
                return [[] for _ in range(len(queries))]
            k_eff = max(1, min(int(k), len(self._where)))
            params = self._search_params()
            if params is None:
                scores, positions = self._index.search(queries, k_eff)
            else:
                scores, positions = self._index.search(queries, k_eff, params=params)
            out = []
            for row_scores, row_pos in zip(scores.tolist(), positions.tolist(), strict=True):
                out.append(
                    [
                        (int(self._pos_ids[pos]), self._pos_labels[pos], float(score))
                        for score, pos in zip(row_scores, row_pos, strict=True)
                        if pos >= 0
                    ]
                )
            return out

    # ---- persistence ----------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` and ``path.meta.json`` atomically (temp files, then rename)."""
        faiss = _faiss()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock.read():
            index = self._index if self._index is not None else self._new_index(None)
            blob = faiss.serialize_index(index).tobytes()
            meta = {
                "format": FORMAT_VERSION,
                "kind": self.kind,
                "dim": self.dim,
                "version": self.version,
                "hnsw_m": self.hnsw_m,
                "ef_search": self.ef_search,
                "nlist": self.nlist,
                "nprobe": self.nprobe,
                "ntotal": int(index.ntotal),
                "ids": self._pos_ids.tolist(),
                "labels": self._pos_labels,
                "masked": sorted(self._masked),
                "index_sha256": hashlib.sha256(blob).hexdigest(),
            }
        _atomic_write(path, blob)
        _atomic_write(meta_path(path), json.dumps(meta).encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> GalleryIndex:
        """Read an index written by ``save``; raises ``GalleryError`` if anything does not match."""
        faiss = _faiss()
        path = Path(path)
        try:
            blob = path.read_bytes()
            meta = json.loads(meta_path(path).read_text())
        except FileNotFoundError as exc:
            raise GalleryError(f"gallery file missing: {exc.filename}") from None
        except (ValueError, OSError) as exc:
            raise GalleryError(f"gallery manifest {meta_path(path)} unreadable: {exc}") from None
        if meta.get("format") != FORMAT_VERSION:
            raise GalleryError(f"{path}: unsupported gallery format {meta.get('format')!r}")
        digest = hashlib.sha256(blob).hexdigest()
        if digest != meta.get("index_sha256"):
            raise GalleryError(
                f"{path}: checksum mismatch (sha256 {digest[:12]}..., manifest says "
                f"{str(meta.get('index_sha256'))[:12]}...): the file is corrupt or not the one the manifest describes"
            )
        try:
            index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
        except Exception as exc:
            raise GalleryError(f"{path}: not a faiss index: {exc}") from None
        ids, labels = meta["ids"], meta["labels"]
        sizes_ok = index.ntotal == meta["ntotal"] == len(ids) == len(labels)
        if index.d != meta["dim"] or not sizes_ok:
            raise GalleryError(f"{path}: index ({index.d}-d, {index.ntotal} vectors) does not match its manifest")
        gallery = cls(
            meta["dim"],
            meta["kind"],
            hnsw_m=meta["hnsw_m"],
            ef_search=meta["ef_search"],
            nlist=meta["nlist"],
            nprobe=meta["nprobe"],
            version=meta.get("version", ""),
        )
        gallery._index = index if index.ntotal or meta["kind"] != "ivf" else None
        gallery._pos_ids = np.asarray(ids, dtype=np.int64)
        gallery._pos_labels = list(labels)
        gallery._masked = set(meta["masked"])
        gallery._where = {ext: pos for pos, ext in enumerate(ids) if pos not in gallery._masked}
        if len(gallery._where) != len(ids) - len(gallery._masked):
            raise GalleryError(f"{path}: duplicate live ids in the manifest")
        if meta["kind"] == "hnsw":
            index.hnsw.efSearch = gallery.ef_search
        if meta["kind"] == "ivf" and index.ntotal:
            index.make_direct_map()
        return gallery


def meta_path(path: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(path)}.meta.json")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
