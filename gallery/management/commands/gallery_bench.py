import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gallery import bench


class Command(BaseCommand):
    help = "Measure upload-to-recognisable / delete-to-gone with real workers, and a 100k-photo gallery."

    def add_arguments(self, parser):
        parser.add_argument(
            "--photos", type=Path, help="Folder of photos (e.g. a catalog's images/); default: generated"
        )
        parser.add_argument("--count", type=int, default=20, help="Photos for the live part (default 20)")
        parser.add_argument("--scale", type=int, default=100_000, help="Synthetic photos for the scale part")
        parser.add_argument("--skip-live", action="store_true")
        parser.add_argument("--skip-scale", action="store_true")
        parser.add_argument("--no-start-workers", action="store_true", help="Use workers already running")
        parser.add_argument("--json", type=Path, help="Also write the results here")

    def handle(self, *args, **opts):
        results = {"machine": bench.machine_facts()}
        self.stdout.write(json.dumps(results["machine"]))
        if not opts["skip_live"]:
            from django.conf import settings

            if not settings.REDIS_URL:
                raise CommandError("the live part needs REDIS_URL (real workers); use --skip-live without it")
            photos = self._photos(opts["photos"], opts["count"] + 1)
            procs = [] if opts["no_start_workers"] else bench.start_workers(Path(tempfile.gettempdir()))
            try:
                results["live"] = bench.bench_live(photos, self.stdout.write)
            finally:
                bench.stop_workers(procs)
            self.stdout.write(json.dumps(results["live"], indent=2))
        if not opts["skip_scale"]:
            results["scale"] = bench.bench_scale(opts["scale"], log=self.stdout.write)
            self.stdout.write(json.dumps(results["scale"], indent=2))
        if opts["json"]:
            opts["json"].write_text(json.dumps(results, indent=2))

    def _photos(self, folder: Path | None, count: int) -> list[bytes]:
        if folder is not None:
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
            if len(files) < count:
                raise CommandError(f"{folder} has {len(files)} photos, {count} needed")
            return [p.read_bytes() for p in files[:count]]
        import io

        import numpy as np
        from PIL import Image

        out = []
        for seed in range(count):
            grid = np.random.default_rng(seed).integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(np.kron(grid, np.ones((80, 80, 1), np.uint8))).save(buf, "JPEG", quality=90)
            out.append(buf.getvalue())
        return out
