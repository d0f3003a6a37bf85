"""``manage.py shitu``: the PP-ShiTuV2 engine from the command line.

Subcommands: ``fetch-models``, ``detect``, ``embed``, ``build-index``, ``recognize``, ``bench``,
``bench-threads``.
``detect``/``embed``/``recognize`` print one JSON line per image on stdout; an image that
cannot be read prints ``{"image": ..., "error": ...}``, the others are still processed, and
the command exits with status 1 at the end.  See docs/recognition.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognition import conf
from recognition.engine import model_store
from recognition.engine.images import ImageError, read_image

BACKEND_CHOICES = ("auto", "paddle", "openvino")


def _round_list(values, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


class Command(BaseCommand):
    help = "PP-ShiTuV2 recognition engine: fetch-models, detect, embed, build-index, recognize, bench, bench-threads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        def models(p, det=False, rec=False):
            if det:
                p.add_argument("--det-model", metavar="DIR", help="detector folder (default: settings / cache)")
            if rec:
                p.add_argument(
                    "--rec-model", metavar="DIR", help="feature extractor folder (default: settings / cache)"
                )
                p.add_argument(
                    "--bf16",
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help="bfloat16 feature extractor (default SHITU_REC_BF16)",
                )
            p.add_argument("--threads", type=int, help="CPU threads per predictor (default SHITU_CPU_THREADS)")
            p.add_argument("--backend", choices=BACKEND_CHOICES, help="inference backend (default SHITU_BACKEND)")

        p = sub.add_parser("fetch-models", help="download, verify and extract the official models")
        p.add_argument("--cache", metavar="DIR", help="cache folder (default SHITU_MODEL_CACHE)")
        p.add_argument("--base-url", help="mirror of the official host (default SHITU_MODEL_BASE_URL)")
        p.add_argument("--only", choices=sorted(model_store.REGISTRY), help="fetch one model only")
        p.add_argument("--force", action="store_true", help="download again even if present")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

        p = sub.add_parser("detect", help="detector boxes per image, as JSON lines")
        p.add_argument("images", nargs="+", metavar="IMAGE")
        models(p, det=True)
        p.add_argument("--threshold", type=float, help="score threshold (default SHITU_DET_SCORE_THRESHOLD)")
        p.add_argument("--max-det", type=int, help="at most K boxes (default SHITU_MAX_DETECTIONS)")

        p = sub.add_parser("embed", help="L2-normalised feature of each whole image, as JSON lines")
        p.add_argument("images", nargs="+", metavar="IMAGE")
        models(p, rec=True)

        p = sub.add_parser("build-index", help="embed a labelled set of photos into a gallery index file")
        src = p.add_mutually_exclusive_group(required=True)
        src.add_argument("--labels", metavar="FILE", help="lines of path<TAB>label (paths relative to FILE)")
        src.add_argument("--catalog", metavar="DIR", help="folder with catalog.csv (sku,name,price,image)")
        p.add_argument("--out", metavar="PATH", help="index file (default SHITU_INDEX_PATH)")
        p.add_argument("--kind", choices=["flat", "hnsw", "ivf"], help="index kind (default SHITU_INDEX_KIND)")
        p.add_argument(
            "--mainbody-crop",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="embed each photo's best detector box, as the live gallery does (default GALLERY_MAINBODY_CROP)",
        )
        models(p, det=True, rec=True)

        p = sub.add_parser("recognize", help="full recognition result per image, as JSON lines")
        p.add_argument("images", nargs="+", metavar="IMAGE")
        p.add_argument("--index", metavar="PATH", help="gallery index file (default SHITU_INDEX_PATH)")
        models(p, det=True, rec=True)
        p.add_argument("--threshold", type=float, help="detector score threshold")
        p.add_argument("--max-det", type=int, help="at most K detections")
        p.add_argument("--match-threshold", type=float, help="gallery match threshold")

        p = sub.add_parser("bench", help="latency benchmark (p50/p95 per stage)")
        scene = p.add_mutually_exclusive_group(required=True)
        scene.add_argument("--image", metavar="PATH", help="a scene photo to time")
        scene.add_argument("--catalog", metavar="DIR", help="compose a scene from photos of this catalog folder")
        p.add_argument("--items", type=int, default=5, help="photos pasted in the composed scene (default 5)")
        p.add_argument("--runs", type=int, default=20, help="timed runs per configuration (default 20)")
        p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
        p.add_argument("--threshold", type=float, help="detector score threshold")
        p.add_argument("--max-det", type=int, default=5, help="K for the timed runs (default 5, one per item)")
        p.add_argument("--default-k", type=int, help="also time with this K (default SHITU_MAX_DETECTIONS)")
        p.add_argument("--sizes", default="1000,100000", help="gallery sizes (default 1000,100000)")
        p.add_argument("--kinds", default="flat", help="index kinds, comma-separated (default flat)")
        p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
        p.add_argument("--markdown", metavar="PATH", help="also write the Markdown tables")
        p.add_argument(
            "--backends",
            metavar="LIST",
            help="instead: these backends side by side, interleaved, each in its own process, with the ratio"
            " to paddle (e.g. paddle,openvino,auto; the first --sizes / --kinds gallery)",
        )
        models(p, det=True, rec=True)

        p = sub.add_parser(
            "verify-backend", help="prove each faster backend equal to Paddle on this machine, time it, choose"
        )
        models(p, det=True, rec=True)
        p.add_argument("--runs", type=int, default=5, help="interleaved timing runs per model (default 5)")

        p = sub.add_parser("bench-threads", help="latency and memory of the thread models under concurrent requests")
        scene = p.add_mutually_exclusive_group(required=True)
        scene.add_argument("--image", metavar="PATH", help="a scene photo to time")
        scene.add_argument("--catalog", metavar="DIR", help="compose a scene from photos of this catalog folder")
        p.add_argument("--items", type=int, default=5, help="photos pasted in the composed scene (default 5)")
        p.add_argument("--clients", type=int, default=4, help="concurrent requests (default 4)")
        p.add_argument("--rounds", type=int, default=8, help="rounds of concurrent requests (default 8)")
        p.add_argument("--max-det", type=int, default=5, help="K (default 5, one per item)")
        p.add_argument("--size", type=int, default=1000, help="random gallery size (default 1000)")
        models(p, det=True, rec=True)

    # ---- helpers --------------------------------------------------------------------
    def _model_dir(self, name: str, flag: str | None) -> Path:
        folder = Path(flag) if flag else conf.model_dirs()[name]
        if folder is None or not folder.is_dir():
            raise CommandError(f"{name} model folder {folder} not found (pass a folder or run `shitu fetch-models`)")
        return folder

    def _inference(self, options):
        return conf.inference_options().with_(
            threads=options.get("threads"), bf16=options.get("bf16"), backend=options.get("backend")
        )

    def _detector(self, options):
        from recognition.engine.models import build_detector
        from recognition.engine.predictors import ModelError

        try:
            return build_detector(self._model_dir("detector", options.get("det_model")), self._inference(options))
        except ModelError as exc:
            raise CommandError(str(exc)) from None

    def _extractor(self, options):
        from recognition.engine.models import build_extractor
        from recognition.engine.predictors import ModelError

        try:
            return build_extractor(self._model_dir("extractor", options.get("rec_model")), self._inference(options))
        except ModelError as exc:
            raise CommandError(str(exc)) from None

    def _emit(self, obj) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False))

    def _images(self, paths):
        """(name, image or None) per path; unreadable ones emit an error line."""
        limits = conf.decode_limits()
        for name in paths:
            try:
                yield name, read_image(name, **limits)
            except (ImageError, OSError) as exc:
                self._failed += 1
                self._emit({"image": name, "error": str(exc)})
                self.stderr.write(f"{name}: {exc}")

    # ---- entry point ----------------------------------------------------------------
    def handle(self, *args, **options):
        self._failed = 0
        sub = options["subcommand"]
        if sub in ("build-index", "recognize", "bench", "bench-threads"):
            from recognition.engine.index import set_search_threads

            set_search_threads(settings.SHITU_SEARCH_THREADS)
        getattr(self, "do_" + sub.replace("-", "_"))(options)
        if self._failed:
            raise CommandError(f"{self._failed} input(s) failed")

    def do_fetch_models(self, options):
        from recognition import downloads

        try:
            results = downloads.fetch_models(
                cache=options.get("cache"),
                url=options.get("base_url"),
                only=options.get("only"),
                force=options.get("force", False),
                progress=not options.get("no_progress"),
            )
        except downloads.DownloadFailed as exc:
            raise CommandError(str(exc)) from None
        for result in results:
            self.stdout.write(downloads.describe(result))

    def do_detect(self, options):
        from recognition.engine.postprocess import top_detections

        cfg = conf.recognizer_config(
            det_score_threshold=options.get("threshold"), max_detections=options.get("max_det")
        )
        detector = self._detector(options)
        for name, image in self._images(options["images"]):
            (rows,) = detector.detect([image])
            rows = top_detections(rows, score_threshold=cfg.det_score_threshold, max_det=cfg.max_detections)
            boxes = [_round_list([*r[2:6], r[1]], 4) for r in rows]
            self._emit({"image": name, "boxes": boxes})

    def do_embed(self, options):
        extractor = self._extractor(options)
        for name, image in self._images(options["images"]):
            (feature,) = extractor.embed([image])
            self._emit({"image": name, "feature": _round_list(feature)})

    def do_build_index(self, options):
        from recognition.engine import indexing
        from recognition.engine.models import build_models
        from recognition.engine.predictors import ModelError

        entries = self._entries(options)
        if not entries:
            raise CommandError("no entries to index")
        rule = conf.crop_rule()
        if options.get("mainbody_crop") is not None:
            rule = replace(rule, mainbody=options["mainbody_crop"])
        det = self._model_dir("detector", options.get("det_model")) if rule.mainbody else None
        try:
            models = build_models(
                det,
                self._model_dir("extractor", options.get("rec_model")),
                self._inference(options),
                detector=rule.mainbody,
            )
        except ModelError as exc:
            raise CommandError(str(exc)) from None

        def skipped(entry, exc):
            self._failed += 1
            self._emit({"image": str(entry.path), "error": str(exc)})

        index_options = conf.gallery_options()
        if options.get("kind"):
            index_options["kind"] = options["kind"]
        gallery = indexing.build_index(
            entries, models, rule=rule, decode_limits=conf.decode_limits(), on_error=skipped, **index_options
        )
        out = Path(options.get("out") or settings.SHITU_INDEX_PATH)
        gallery.save(out)
        self._emit(
            {
                "index": str(out),
                "kind": gallery.kind,
                "vectors": len(gallery),
                "labels": len(set(gallery.labels.values())),
                "version": gallery.version,
                "skipped": self._failed,
            }
        )

    def _entries(self, options):
        from recognition.engine import indexing

        try:
            if options.get("labels"):
                return indexing.read_label_file(options["labels"])
            return indexing.read_catalog(options["catalog"])
        except indexing.EntryListError as exc:
            raise CommandError(str(exc)) from None

    def do_recognize(self, options):
        from recognition.engine.index import GalleryError, GalleryIndex
        from recognition.engine.pipeline import Recognizer

        index = Path(options.get("index") or settings.SHITU_INDEX_PATH)
        try:
            gallery = GalleryIndex.load(index)
        except GalleryError as exc:
            raise CommandError(str(exc)) from None
        extractor = self._extractor(options)
        if gallery.dim != extractor.dim:
            raise CommandError(f"{index} holds {gallery.dim}-d vectors; the extractor makes {extractor.dim}-d")
        if gallery.version and gallery.version != extractor.version:
            self.stderr.write(f"warning: {index} was built with {gallery.version}, extractor is {extractor.version}")
        config = conf.recognizer_config(
            det_score_threshold=options.get("threshold"),
            max_detections=options.get("max_det"),
            match_threshold=options.get("match_threshold"),
        )
        recognizer = Recognizer(self._detector(options), extractor, gallery, config)
        for name, image in self._images(options["images"]):
            self._emit({"image": name, **recognizer.recognize(image).to_dict()})

    def _scene(self, options):
        """(JPEG bytes, description, photos) of the benchmark's scene."""
        from recognition.engine import bench
        from recognition.engine.images import decode_image

        if options.get("image"):
            data = Path(options["image"]).read_bytes()
            return data, f"photo {options['image']}", [decode_image(data, **bench.DEFAULT_LIMITS)]
        entries = self._entries({"catalog": options["catalog"]})[: options["items"]]
        photos = [read_image(e.path) for e in entries]
        desc = f"1280x960 JPEG composed of {len(photos)} catalog photos ({', '.join(e.label for e in entries)})"
        return bench.encode_jpeg(bench.compose_scene(photos)), desc, photos

    def do_bench_threads(self, options):
        from recognition.engine import bench
        from recognition.engine.models import build_models

        data, scene_desc, _ = self._scene(options)
        dirs = (
            self._model_dir("detector", options.get("det_model")),
            self._model_dir("extractor", options.get("rec_model")),
        )
        inference = self._inference(options)

        def build():
            return build_models(*dirs, inference, warm_up=True)

        config = conf.recognizer_config(max_detections=options["max_det"])
        result = bench.bench_thread_models(
            build,
            data,
            options["size"],
            config,
            clients=options["clients"],
            rounds=options["rounds"],
            log=self.stderr.write,
        )
        self.stdout.write(
            f"{scene_desc}; K={options['max_det']}; gallery {options['size']:,} flat; {inference.threads} CPU"
            f" threads per predictor; oneDNN {inference.mkldnn}; KMP_BLOCKTIME={os.environ.get('KMP_BLOCKTIME')}\n"
        )
        self.stdout.write(bench.thread_models_markdown(result))

    def do_verify_backend(self, options):
        from recognition.engine import backends
        from recognition.engine.predictors import ModelError

        inference = self._inference(options)
        candidates = [inference.backend] if inference.backend not in (backends.AUTO, backends.PADDLE) else None
        failed = []
        for kind in backends.KINDS:
            folder = self._model_dir(kind, options.get("det_model" if kind == "detector" else "rec_model"))
            try:
                choice = backends.choose(
                    kind, folder, inference, remeasure=True, candidates=candidates, runs=options["runs"]
                )
            except ModelError as exc:
                raise CommandError(f"{kind}: {exc}") from None
            self._emit({"model": kind, "folder": str(folder), **choice.__dict__})
            unequal = choice.check is not None and not choice.check["equal"]
            if unequal or (candidates and choice.backend == backends.PADDLE):
                failed.append(kind)
        if failed:
            raise CommandError(f"not proven equal and usable: {', '.join(failed)}")

    def _bench_backends(self, options, data, scene_desc, config):
        from recognition.engine.backends.compare import compare_backends, to_markdown

        names = [b.strip() for b in options["backends"].split(",") if b.strip()]
        unknown = sorted(set(names) - set(BACKEND_CHOICES))
        if unknown:
            raise CommandError(f"unknown backends {unknown}; known: {', '.join(BACKEND_CHOICES)}")
        t = time.perf_counter()
        try:
            result = compare_backends(
                names,
                self._model_dir("detector", options.get("det_model")),
                self._model_dir("extractor", options.get("rec_model")),
                data,
                options=self._inference(options),
                config=config,
                gallery_size=int(options["sizes"].split(",")[0]),
                kind=options["kinds"].split(",")[0],
                search_threads=settings.SHITU_SEARCH_THREADS,
                runs=options["runs"],
                warmup=options["warmup"],
                log=self.stderr.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        result["machine"] = self._machine(options, data, scene_desc, t)
        md = to_markdown(result)
        return result, md

    def _machine(self, options, data: bytes, scene_desc: str, t0: float) -> dict:
        from recognition.engine.bench import cpu_model

        inference = self._inference(options)
        return {
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "threads": inference.threads,
            "mkldnn": inference.mkldnn,
            "extractor_bf16": inference.bf16,
            "backend": inference.backend,
            "search_threads": settings.SHITU_SEARCH_THREADS,
            "command": "python manage.py shitu " + shlex.join(sys.argv[2:]),
            "scene": scene_desc,
            "scene_bytes": len(data),
            "wall_s": round(time.perf_counter() - t0, 1),
        }

    def do_bench(self, options):
        from recognition.engine import bench

        data, scene_desc, photos = self._scene(options)
        config = conf.recognizer_config(det_score_threshold=options.get("threshold"), max_detections=options["max_det"])
        if options.get("backends"):
            result, md = self._bench_backends(options, data, scene_desc, config)
            self.stdout.write(md)
            if options.get("json"):
                Path(options["json"]).write_text(json.dumps(result, indent=2) + "\n")
            if options.get("markdown"):
                Path(options["markdown"]).write_text(md)
            return
        detector, extractor = self._detector(options), self._extractor(options)
        t = time.perf_counter()
        result = bench.run_bench(
            detector,
            extractor,
            data,
            gallery_sizes=[int(s) for s in options["sizes"].split(",") if s],
            kinds=[k for k in options["kinds"].split(",") if k],
            runs=options["runs"],
            warmup=options["warmup"],
            config=config,
            default_k=options.get("default_k") or conf.recognizer_config().max_detections,
            log=self.stderr.write,
        )
        result["phone_decode"] = bench.time_phone_decode(photos, runs=max(3, options["runs"] // 2))
        result["machine"] = self._machine(options, data, scene_desc, t)
        result["machine"].update(
            mkldnn=detector.mkldnn,
            extractor_bf16=extractor.bf16,
            backend=f"detector {detector.backend}, extractor {extractor.backend}",
        )
        md = bench.to_markdown(result)
        self.stdout.write(md)
        if options.get("json"):
            Path(options["json"]).write_text(json.dumps(result, indent=2) + "\n")
        if options.get("markdown"):
            Path(options["markdown"]).write_text(md)
