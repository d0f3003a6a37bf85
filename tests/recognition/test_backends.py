"""The OpenVINO backend against the Paddle reference: graph cut, numpy NMS, equality, choice, cache."""

from __future__ import annotations

import io
import json
import shutil
import stat

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognition.engine.backends import AUTO, CONVERT_CACHE, OPENVINO, PADDLE, build, build_for, choose, graphs, verify
from recognition.engine.backends.picodet import HeadSpec, NmsParams, multiclass_nms
from recognition.engine.models import InferenceOptions
from recognition.engine.predictors import ModelError
from tests.recognition import tiny_models
from tests.recognition.conftest import SHARED_MODELS, scene

pytest.importorskip("openvino")


def _options(**changes) -> InferenceOptions:
    base = InferenceOptions(backend=PADDLE, device="cpu", threads=1, mkldnn=True, bf16=False, max_batch=32)
    return base.with_(**changes)


SETTINGS = _options()
REAL_DET = SHARED_MODELS / "picodet_PPLCNet_x2_5_mainbody_lite_v1.0_infer"
REAL_REC = SHARED_MODELS / "general_PPLCNetV2_base_pretrained_v1.0_infer"


@pytest.fixture(scope="module")
def picodet(models, tmp_path_factory):
    """A private copy of the tiny PicoDet (these tests write converted graphs beside it)."""
    folder = tmp_path_factory.mktemp("picodet") / "det_picodet"
    shutil.copytree(models["det_picodet"], folder)
    return folder


def test_the_cut_reads_every_parameter_from_the_graph(picodet):
    spec = HeadSpec.load(graphs.ensure_converted(picodet, "picodet_cut") / graphs.HEAD_SPEC)
    assert [lv.stride for lv in spec.levels] == list(tiny_models.PICODET_STRIDES)
    assert spec.bins == tiny_models.PICODET_REG_MAX + 1
    assert spec.cell_offset == 0.5
    assert spec.nms_pre == tiny_models.PICODET_NMS_PRE
    expected = tiny_models.PICODET_NMS
    assert spec.nms.nms_top_k == expected["nms_top_k"] and spec.nms.keep_top_k == expected["keep_top_k"]
    assert spec.nms.score_threshold == pytest.approx(expected["score_threshold"])
    assert spec.nms.nms_threshold == pytest.approx(expected["nms_threshold"])
    assert spec.nms.background_label == -1 and spec.nms.normalized


def test_openvino_detector_equals_paddle_on_the_tiny_picodet(picodet):
    paddle_det, ov_det = build("detector", PADDLE, picodet, SETTINGS), build("detector", OPENVINO, picodet, SETTINGS)
    images = [scene(), *verify.check_images()]
    ref = [paddle_det.detect([img])[0] for img in images]
    assert all(len(rows) == tiny_models.PICODET_NMS["keep_top_k"] for rows in ref)  # a full NMS, not a trivial one
    equal, detail, _ = verify.compare_detections(ref, [ov_det.detect([img])[0] for img in images])
    assert equal, detail
    # A batch of two decodes each image with its own im_shape / scale_factor.
    batch = ov_det.detect(images[:2])
    assert verify.compare_detections(ref[:2], batch)[0]


def test_equal_scores_keep_paddles_order(picodet):
    """A flat photo gives many cells the very same score; NMS must break those ties as Paddle does."""
    flat = np.full((480, 640, 3), 90, np.uint8)
    paddle_rows = build("detector", PADDLE, picodet, SETTINGS).detect([flat])[0]
    assert len(np.unique(paddle_rows[:, 1])) < len(paddle_rows) / 2  # ties indeed
    ov_rows = build("detector", OPENVINO, picodet, SETTINGS).detect([flat])[0]
    np.testing.assert_allclose(ov_rows, paddle_rows, atol=1e-3)


@pytest.mark.parametrize("folder", ["rec_pir", "rec_legacy"])
def test_openvino_extractor_equals_paddle(models, folder, tmp_path):
    src = tmp_path / folder
    shutil.copytree(models[folder], src)
    reference, candidate = build("extractor", PADDLE, src, SETTINGS), build("extractor", OPENVINO, src, SETTINGS)
    result = verify.verify_extractor(reference, candidate, runs=1)
    assert result.equal, result.detail
    assert candidate.dim == reference.dim == 512
    assert candidate.version == reference.version  # same f32 numerics: gallery vectors stay valid
    assert candidate.clone().embed([scene()]).shape == (1, 512)


@pytest.mark.parametrize(
    "params",
    [
        NmsParams(0.05, 30, 20, 0.3, True, 1.0, -1),  # several classes, keep_top_k truncates
        NmsParams(0.05, -1, -1, 0.5, False, 1.0, 0),  # class 0 is background, pixel (+1) areas
        NmsParams(0.2, 25, 100, 0.7, True, 0.9, -1),  # adaptive threshold
        NmsParams(1.5, 30, 20, 0.3, True, 1.0, -1),  # nothing passes
    ],
)
def test_numpy_nms_is_paddles_multiclass_nms3(params):
    paddle = pytest.importorskip("paddle")
    rng = np.random.default_rng(3)
    boxes = rng.random((60, 4), dtype=np.float32) * 100
    boxes[:, 2:] += boxes[:, :2] * 0.5 + 5
    boxes[10:20] = boxes[0]  # identical boxes
    scores = rng.random((3, 60), dtype=np.float32)
    scores[:, 30:40] = scores[:, 30:31]  # equal scores
    out = paddle._C_ops.multiclass_nms3(
        paddle.to_tensor(boxes[None]), paddle.to_tensor(scores[None]), None, *params.__dict__.values()
    )
    expected = out[0].numpy()
    np.testing.assert_array_equal(multiclass_nms(boxes, scores, params), expected)


def test_converted_graphs_are_cached_by_the_source_hash(models, tmp_path):
    src = tmp_path / "rec"
    shutil.copytree(models["rec_pir"], src)
    first = graphs.ensure_converted(src, "onnx")
    assert first.parent == src / graphs.CONVERTED_DIR
    made = (first / graphs.ONNX_FILE).stat().st_mtime_ns
    assert graphs.ensure_converted(src, "onnx") == first
    assert (first / graphs.ONNX_FILE).stat().st_mtime_ns == made  # not converted again
    params = src / "inference.pdiparams"
    data = bytearray(params.read_bytes())
    data[-1] ^= 1  # new weights: a new key, a new conversion
    params.write_bytes(bytes(data))
    second = graphs.ensure_converted(src, "onnx")
    assert second != first and (second / graphs.ONNX_FILE).is_file()


def test_a_read_only_model_folder_is_converted_into_the_fallback(models, tmp_path):
    src = tmp_path / "ro"
    shutil.copytree(models["rec_pir"], src)
    src.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        out = graphs.ensure_converted(src, "onnx", tmp_path / "cache")
        assert out.parent == tmp_path / "cache" and not (src / graphs.CONVERTED_DIR).exists()
    finally:
        src.chmod(stat.S_IRWXU)


def test_a_detector_without_the_picodet_tail_says_why(models, tmp_path):
    src = tmp_path / "det"
    shutil.copytree(models["det_legacy"], src)
    with pytest.raises(ModelError, match="while op"):
        build("detector", OPENVINO, src, SETTINGS)
    choice = choose("detector", src, SETTINGS)
    assert choice.backend == PADDLE and "openvino not usable" in choice.reason
    assert build_for("detector", AUTO, src, SETTINGS).backend == PADDLE


def test_the_choice_is_measured_once_and_kept_on_disk(models, tmp_path, monkeypatch):
    from recognition.engine import backends

    src = tmp_path / "rec"
    shutil.copytree(models["rec_pir"], src)
    first = choose("extractor", src, SETTINGS)
    assert first.backend in (PADDLE, OPENVINO) and first.check["equal"]
    files = list((src / graphs.CONVERTED_DIR).glob("choice-extractor-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["backend"] == first.backend
    backends._choices.clear()

    def must_not_measure(*args, **kwargs):
        raise AssertionError("measured again")

    monkeypatch.setattr(backends, "measure", must_not_measure)
    assert choose("extractor", src, SETTINGS).backend == first.backend


@pytest.mark.skipif(not (REAL_DET.is_dir() and REAL_REC.is_dir()), reason="no ../shared/models")
def test_openvino_equals_paddle_on_the_real_networks(tmp_path):
    settings = _options(threads=2, extra={CONVERT_CACHE: str(tmp_path)})
    det = verify.verify_detector(
        build("detector", PADDLE, REAL_DET, settings), build("detector", OPENVINO, REAL_DET, settings), runs=1
    )
    assert det.equal, det.detail
    rec = verify.verify_extractor(
        build("extractor", PADDLE, REAL_REC, settings), build("extractor", OPENVINO, REAL_REC, settings), runs=1
    )
    assert rec.equal, rec.detail
    if not graphs._writable(REAL_DET):  # a read-only (shared) copy is left alone
        assert not (REAL_DET / graphs.CONVERTED_DIR).exists()


def _shitu(*args) -> str:
    out = io.StringIO()
    call_command("shitu", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_verify_backend_command_reports_each_model(picodet, models, tmp_path):
    rec = tmp_path / "rec"
    shutil.copytree(models["rec_pir"], rec)
    lines = [
        json.loads(ln)
        for ln in _shitu("verify-backend", "--det-model", picodet, "--rec-model", rec, "--runs", 1).splitlines()
    ]
    assert [ln["model"] for ln in lines] == ["detector", "extractor"]
    for line in lines:
        assert "check" in line, line
        assert line["check"]["equal"] and line["check"]["backend"] == OPENVINO
        assert line["backend"] in (PADDLE, OPENVINO) and line["reason"]
    # Asked for explicitly, a backend that cannot run the model fails the command.
    with pytest.raises(CommandError, match="detector"):
        _shitu("verify-backend", "--backend", "openvino", "--det-model", models["det_legacy"], "--rec-model", rec)


def test_bench_backends_side_by_side(picodet, models, image_files, tmp_path):
    out = tmp_path / "bench.json"
    md = _shitu(
        "bench", "--image", image_files["scene"], "--det-model", picodet, "--rec-model", models["rec_pir"],
        "--backends", "paddle,openvino", "--runs", 2, "--warmup", 1, "--sizes", 50, "--threads", 1, "--json", out,
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert set(result["backends"]) == {PADDLE, OPENVINO}
    ov = result["backends"][OPENVINO]
    assert ov["detector"] == ov["extractor"] == OPENVINO and ov["crops"] == result["backends"][PADDLE]["crops"] == 5
    assert 0 < ov["ratio_to_paddle"]["total"] < 10
    assert (
        "| total |" in md and "openvino / paddle" in md and result["machine"]["command"].startswith("python manage.py")
    )


def test_bf16_vectors_get_their_own_version(models, tmp_path):
    from recognition.engine.backends.openvino_models import bf16_supported

    if not bf16_supported():
        pytest.skip("CPU without bfloat16")
    src = tmp_path / "rec"
    shutil.copytree(models["rec_pir"], src)
    f32 = build("extractor", PADDLE, src, SETTINGS).version
    for backend in (PADDLE, OPENVINO):
        model = build("extractor", backend, src, _options(bf16=True))
        assert model.bf16 and model.version == f32 + "+bf16"
