"""GalleryIndex: add/remove/search, kinds, save/load integrity, rebuild, concurrency."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from recognition.engine.index import GalleryError, GalleryIndex, meta_path

DIM = 32


def unit(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def filled(kind: str, n: int = 200, **kw) -> tuple[GalleryIndex, np.ndarray]:
    g = GalleryIndex(DIM, kind, **kw)
    vectors = unit(n, 0)
    g.add(np.arange(100, 100 + n), vectors, [f"SKU{i % 50}" for i in range(n)])
    return g, vectors


KIND_OPTS = {"flat": {}, "hnsw": {"ef_search": 128}, "ivf": {"nlist": 4, "nprobe": 4}}


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_search_finds_each_vector_with_its_id_and_label(kind):
    g, vectors = filled(kind, **KIND_OPTS[kind])
    assert len(g) == 200
    results = g.search(vectors[:20], 3)
    for i, hits in enumerate(results):
        ext_id, label, score = hits[0]
        assert (ext_id, label) == (100 + i, f"SKU{i % 50}")
        assert score == pytest.approx(1.0, abs=1e-4)
        assert [h[2] for h in hits] == sorted((h[2] for h in hits), reverse=True)


@pytest.mark.parametrize("queries", [1, 3, 4, 5, 12, 30])
def test_flat_search_is_exact_for_every_basket_size(queries):
    """Exact search takes a per-query scan below FLAT_BLAS_MIN_QUERIES and BLAS from it on: same answers."""
    g, _ = filled("flat", n=500)
    query = unit(queries, seed=queries + 7)
    gallery = unit(500, 0)
    expected = np.argsort(-(query @ gallery.T), axis=1)[:, :10] + 100
    for hits, want in zip(g.search(query, 10), expected, strict=True):
        assert [h[0] for h in hits] == want.tolist()


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_remove_readd_and_rebuild(kind):
    g, vectors = filled(kind, **KIND_OPTS[kind])
    assert g.remove([100, 101, 999]) == 2  # unknown ids ignored
    assert len(g) == 198 and g.masked == 2
    top = g.search(vectors[:2], 5)
    assert all(hit[0] not in (100, 101) for hits in top for hit in hits)
    # Re-adding an id replaces its vector and label.
    g.add([102], vectors[:1], ["NEW"])
    assert g.search(vectors[:1], 1)[0][0][:2] == (102, "NEW")
    assert g.labels[102] == "NEW" and 100 not in g.labels
    g.rebuild()
    assert g.masked == 0 and len(g) == 198
    assert g.search(vectors[:1], 1)[0][0][:2] == (102, "NEW")
    assert g.search(vectors[50:51], 1)[0][0][:2] == (150, "SKU0")


def test_search_k_larger_than_gallery_and_empty_gallery():
    g = GalleryIndex(DIM)
    assert g.search(unit(2, 1), 5) == [[], []]
    g.add([1, 2], unit(2, 2), ["a", "b"])
    assert len(g.search(unit(1, 3), 50)[0]) == 2


def test_bad_calls_raise_clear_errors():
    g = GalleryIndex(DIM)
    with pytest.raises(GalleryError, match=r"shape \[n, 32\]"):
        g.add([1], np.zeros((1, 16), np.float32), ["a"])
    with pytest.raises(GalleryError, match="2 ids, 1 vectors"):
        g.add([1, 2], unit(1, 0), ["a"])
    with pytest.raises(GalleryError, match="duplicate ids"):
        g.add([1, 1], unit(2, 0), ["a", "b"])
    with pytest.raises(GalleryError, match="unknown index kind"):
        GalleryIndex(DIM, "lsh")


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_save_load_round_trip(tmp_path, kind):
    g, vectors = filled(kind, **KIND_OPTS[kind])
    g.version = "rec@abc"
    g.remove([105])
    path = tmp_path / "gallery" / "index.faiss"
    g.save(path)
    loaded = GalleryIndex.load(path)
    assert (loaded.kind, loaded.dim, loaded.version, len(loaded)) == (kind, DIM, "rec@abc", 199)
    assert loaded.search(vectors[:10], 4) == g.search(vectors[:10], 4)
    assert all(h[0] != 105 for h in loaded.search(vectors[5:6], 10)[0])
    loaded.add([5000], vectors[:1], ["more"])  # still usable after loading
    assert loaded.search(vectors[:1], 2)[0][0][1] in ("more", "SKU0")


def test_corrupt_or_mismatched_files_are_refused(tmp_path):
    g, _ = filled("flat")
    path = tmp_path / "a.faiss"
    g.save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(GalleryError, match="checksum mismatch"):
        GalleryIndex.load(path)
    # A valid index next to another gallery's manifest.
    other, _ = filled("flat", n=10)
    other.save(tmp_path / "b.faiss")
    g.save(path)
    meta_path(path).write_text(meta_path(tmp_path / "b.faiss").read_text())
    with pytest.raises(GalleryError, match="checksum mismatch"):
        GalleryIndex.load(path)
    # Manifest edited to claim other ids.
    g.save(path)
    meta = json.loads(meta_path(path).read_text())
    meta["ids"] = meta["ids"][:-1]
    meta_path(path).write_text(json.dumps(meta))
    with pytest.raises(GalleryError, match="does not match its manifest"):
        GalleryIndex.load(path)
    meta_path(path).unlink()
    with pytest.raises(GalleryError, match="missing"):
        GalleryIndex.load(path)
    meta_path(path).write_text("{not json")
    with pytest.raises(GalleryError, match="unreadable"):
        GalleryIndex.load(path)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_searches_continue_while_adding_removing_and_rebuilding(kind):
    g, base = filled(kind, n=500)
    stop = threading.Event()
    errors: list[BaseException] = []
    searches = [0]
    live_labels = {100 + i: f"SKU{i % 50}" for i in range(500)}

    def reader():
        queries = base[:8]
        try:
            while not stop.is_set():
                for hits in g.search(queries, 5):
                    assert len(hits) == 5
                    for ext_id, label, _ in hits:
                        # every hit is a consistent (id, label) pair: a base entry or one the writer added
                        assert label == live_labels.get(ext_id, f"X{ext_id}"), (ext_id, label)
                searches[0] += 1
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    extra = unit(300, 9)
    for i in range(300):
        g.add([10_000 + i], extra[i : i + 1], [f"X{10_000 + i}"])
        if i % 3 == 0:
            g.remove([100 + i])
        if i % 100 == 50:
            g.rebuild()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors[0]
    assert searches[0] > 10
    assert len(g) == 500 + 300 - 100
    hits = g.search(extra[:1], 1)[0]
    assert hits[0][:2] == (10_000, "X10000")


def test_rebuild_keeps_changes_made_during_it():
    g = GalleryIndex(DIM, "hnsw")
    vectors = unit(6000, 4)
    g.add(np.arange(6000), vectors, [f"L{i}" for i in range(6000)])
    g.remove(range(0, 6000, 2))
    worker = threading.Thread(target=g.rebuild)
    worker.start()
    while g._journal is None and worker.is_alive():  # wait until the rebuild is under way
        pass
    during = g._journal is not None
    g.add([777_777], vectors[1:2], ["during"])  # lands while the new graph is being built
    g.remove([1, 3])
    worker.join()
    assert during, "the rebuild finished before the changes; make the gallery bigger"
    assert g.masked == 2  # the removals made during the rebuild are still masked in the new index
    assert g.labels[777_777] == "during" and 1 not in g.labels and 5 in g.labels
    assert len(g) == 3000 - 2 + 1
    assert g.search(vectors[1:2], 1)[0][0][:2] == (777_777, "during")


def test_ivf_trains_on_the_whole_first_add():
    g = GalleryIndex(DIM, "ivf")
    g.add(np.arange(20_000), unit(20_000, 5), ["x"] * 20_000)  # more than one internal add chunk
    # sized for 20k vectors (capped at 39 training points per list), not for a 4096-vector chunk (105)
    assert g._index.nlist == min(int(4 * np.sqrt(20_000)), 20_000 // 39) == 512
