"""Converted graphs for the faster backends, made once from the downloaded model and cached.

* ``picodet_cut``: the legacy (``inference.pdmodel``) PicoDet detector cut at its head
  outputs, everything before the ``while`` op that decodes and NMSes each image (OpenVINO's
  Paddle frontend cannot read those ops), plus ``head.json``: the ``picodet.HeadSpec`` of the
  cut-off part, read from that part of the graph.
* ``onnx``: any Paddle inference model (either format) exported by paddle2onnx.

Each product lives in a folder keyed by the source's hash (graph + weights) and the
converter's version: beside the model (``<model>/.shitu-converted/<kind>-<key>``) when that
folder is writable, else under a fallback cache folder.  A changed model gets a new key and
is converted again; a folder appears only complete (built aside, then renamed into place),
so concurrent workers never read half a conversion.  The conversions run in a child
interpreter: the program IR is a per-process choice in Paddle (``FLAGS_enable_pir_api``),
and paddle2onnx writes to stdout.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from ..predictors import ModelError, file_sha256, find_model_files

CONVERTER_VERSION = {"picodet_cut": "1", "onnx": "1"}
CONVERTED_DIR = ".shitu-converted"
CUT_GRAPH = "inference.pdmodel"
HEAD_SPEC = "head.json"
ONNX_FILE = "model.onnx"
_source_keys: dict[tuple, str] = {}


def source_key(model_dir: str | os.PathLike) -> str:
    """Short sha256 over the model's graph and weights (memoised on path, size and mtime)."""
    graph, params, _ = find_model_files(model_dir)
    stat = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in (graph, params))
    if stat not in _source_keys:
        digest = hashlib.sha256()
        for path in (graph, params):
            digest.update(file_sha256(path).encode())
        _source_keys[stat] = digest.hexdigest()[:16]
    return _source_keys[stat]


def _writable(folder: Path) -> bool:
    """Writable, and not marked read-only (root may write anywhere; a read-only model folder,
    such as a shared copy, is still left alone)."""
    try:
        return bool(folder.stat().st_mode & stat.S_IWUSR) and os.access(folder, os.W_OK | os.X_OK)
    except OSError:
        return False


def converted_dir(model_dir: str | os.PathLike, kind: str, fallback: str | os.PathLike | None = None) -> Path:
    """Where the ``kind`` conversion of this model lives (whether or not it exists yet)."""
    model_dir = Path(model_dir).resolve()
    name = f"{kind}-v{CONVERTER_VERSION[kind]}-{source_key(model_dir)}"
    if _writable(model_dir) or ((model_dir / CONVERTED_DIR).is_dir() and _writable(model_dir / CONVERTED_DIR)):
        return model_dir / CONVERTED_DIR / name
    if fallback is None:
        fallback = Path(tempfile.gettempdir()) / "shitu-converted"
    return Path(fallback) / f"{model_dir.name}-{name}"


def ensure_converted(
    model_dir: str | os.PathLike, kind: str, fallback: str | os.PathLike | None = None, timeout: float = 600
) -> Path:
    """The folder of the ``kind`` conversion of ``model_dir``, converting it first if needed.

    Raises ``ModelError`` with the converter's own message when the model cannot be converted.
    """
    target = converted_dir(model_dir, kind, fallback)
    if (target / "done.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        env = {**os.environ, "FLAGS_enable_pir_api": "0" if kind == "picodet_cut" else "1"}
        proc = subprocess.run(
            [sys.executable, "-m", __name__, kind, str(Path(model_dir).resolve()), str(work)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr or "").splitlines() if ln.startswith("CONVERT-ERROR: ")]
            reason = lines[-1].removeprefix("CONVERT-ERROR: ") if lines else (proc.stderr or "").strip()[-800:]
            raise ModelError(f"{model_dir}: cannot make the {kind} graph: {reason}")
        (work / "done.json").write_text(json.dumps({"source": source_key(model_dir), "kind": kind}) + "\n")
        try:
            work.rename(target)
        except OSError:
            if not (target / "done.json").is_file():  # not a concurrent twin: a real failure
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


# ---- run in the child interpreter -----------------------------------------------------------


def _cut_picodet(model_dir: Path, out: Path) -> None:
    """Cut the legacy PicoDet graph before its ``while`` op; write the cut graph and head.json."""
    import numpy as np
    import paddle

    from .picodet import HeadSpec, Level, NmsParams

    _, _, fmt = find_model_files(model_dir)
    if fmt != "legacy":
        raise ModelError("only the legacy inference.pdmodel detector graph can be cut")
    paddle.enable_static()
    exe = paddle.static.Executor(paddle.CPUPlace())
    scope = paddle.static.Scope()
    with paddle.static.scope_guard(scope):
        program, _, _ = paddle.static.load_inference_model(str(model_dir / "inference"), exe)
        block = program.global_block()
        ops = list(block.ops)
        loops = [i for i, op in enumerate(ops) if op.type == "while"]
        nms = [op for op in ops if op.type == "multiclass_nms3"]
        if len(loops) != 1 or len(nms) != 1:
            raise ModelError(f"expected one while op and one multiclass_nms3 op, found {len(loops)} and {len(nms)}")
        start = loops[0]
        loop = ops[start]
        made_by = {name: op for op in ops[:start] for name in op.output_arg_names}
        inputs = loop.input("X")

        def produced(name, op_type):
            return name in made_by and made_by[name].type == op_type and len(block.var(name).shape) == 4

        cls_maps = sorted((n for n in inputs if produced(n, "sigmoid")), key=lambda n: -block.var(n).shape[1])
        box_maps = sorted((n for n in inputs if produced(n, "transpose2")), key=lambda n: -block.var(n).shape[1])
        if not cls_maps or len(cls_maps) != len(box_maps):
            raise ModelError(f"no PicoDet head (sigmoid class maps + transposed box maps) feeds the while op: {inputs}")
        size = block.var("image").shape[2]
        if size is None or size <= 0:
            raise ModelError("the detector's image input has no fixed size")
        levels = []
        for c, b in zip(cls_maps, box_maps, strict=True):
            (hc, wc), (hb, wb) = block.var(c).shape[1:3], block.var(b).shape[1:3]
            if (hc, wc) != (hb, wb):
                raise ModelError(f"head maps {c} and {b} differ in size")
            levels.append(Level(scores=c, boxes=b, stride=float(size) / float(hc)))
        bins = block.var(box_maps[0]).shape[3] // 4
        project = [n for n in inputs if n not in made_by and scope.find_var(n) is not None and block.var(n).persistable]
        values = [np.array(scope.find_var(n).get_tensor()).ravel() for n in project]
        if not any(len(v) == bins and np.array_equal(v, np.arange(bins)) for v in values):
            raise ModelError(f"no 0..{bins - 1} projection vector among the loop's weights {project}")
        offsets = [
            made_by[n].attr("value")
            for n in inputs
            if n in made_by and made_by[n].type == "fill_constant" and made_by[n].attr("dtype") in (5, 6)
        ]
        if len(offsets) != 1:
            raise ModelError(f"cannot tell the cell offset among the loop's float constants {offsets}")
        tops = {
            op.attr("k")
            for i in range(1, program.num_blocks)
            for op in program.block(i).ops
            if op.type in ("top_k_v2", "top_k")
        }
        if len(tops) > 1:
            raise ModelError(f"several per-level top-k sizes {tops}")
        a = {name: nms[0].attr(name) for name in nms[0].attr_names}
        spec = HeadSpec(
            levels=tuple(levels),
            bins=int(bins),
            cell_offset=float(offsets[0]),
            nms_pre=int(tops.pop()) if tops else None,
            nms=NmsParams(
                score_threshold=float(a["score_threshold"]),
                nms_top_k=int(a["nms_top_k"]),
                keep_top_k=int(a["keep_top_k"]),
                nms_threshold=float(a["nms_threshold"]),
                normalized=bool(a["normalized"]),
                nms_eta=float(a["nms_eta"]),
                background_label=int(a["background_label"]),
            ),
        )
        for i in reversed(range(start, len(ops))):
            block._remove_op(i)
        program._sync_with_cpp()
        fetch = [block.var(n) for n in spec.output_names]
        paddle.static.save_inference_model(str(out / "inference"), [block.var("image")], fetch, exe, program=program)
    (out / HEAD_SPEC).write_text(spec.to_json() + "\n")


def _export_onnx(model_dir: Path, out: Path) -> None:
    import paddle2onnx

    graph, params, _ = find_model_files(model_dir)
    # No constant folding by polygraphy (it would pip-install onnx-graphsurgeon on the fly);
    # the runtimes fold constants themselves.
    data = None
    try:
        data = paddle2onnx.export(str(graph), str(params), None, opset_version=17, optimize_tool="None")
    except Exception as exc:  # paddle2onnx logs and swallows its own errors
        raise ModelError(f"paddle2onnx: {exc}") from exc
    if not data:
        raise ModelError("paddle2onnx produced no model (see its log above)")
    (out / ONNX_FILE).write_bytes(data)


def main(argv: list[str]) -> int:
    kind, model_dir, out = argv[1], Path(argv[2]), Path(argv[3])
    try:
        {"picodet_cut": _cut_picodet, "onnx": _export_onnx}[kind](model_dir, out)
    except Exception as exc:
        print(f"CONVERT-ERROR: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
