"""Hash matching of uploads: hashing time per image, PDQ lookup time against banks of 10,000 /
100,000 / 1,000,000 hashes, and the time hashing and matching add to an upload.

1. Hashing (`moderation.hashing.hash_image`: MD5 + SHA-256 of the bytes, PDQ of the eight
   rotated and mirrored forms after shrinking to 512 px and trimming borders) of photo-like
   1920 x 1080 and 4000 x 3000 JPEGs; for comparison, PDQ of the full-resolution pixels, and
   how far (in bits) the 512-px hash is from it.
2. Lookup: the in-memory index (`moderation.hash_index.PdqIndex`) of N random PDQ hashes,
   queried with an upload's eight forms (the answer every upload needs); then, with N hashes
   in a bank in the (SQLite) database, `hash_index.find` (the version query, the exact-hash
   query and the scan) and the time one process takes to load the index.
3. Per upload: `media.actions.upload` of each image with the 1M-hash bank in place, against
   the same upload with hashing switched off.

    .venv/bin/python bench/hash_bench.py                 # 15 rounds, banks up to 1,000,000
    .venv/bin/python bench/hash_bench.py --rounds 5 --largest 100000
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo_jpeg(width: int, height: int, seed: int = 0) -> bytes:
    """A photo-like JPEG, quality 92: gradients with grain, and shapes drawn on them (PDQ
    needs detail: smooth gradients alone have a quality under 50)."""
    import random

    from PIL import Image, ImageDraw

    base = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 18 + seed % 5)
    red = Image.blend(base, grain, 0.35)
    green = Image.blend(
        base.transpose(Image.Transpose.ROTATE_90).resize((width, height)), grain, 0.25
    )
    blue = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    chance = random.Random(seed)
    for _ in range(40):
        x, y = chance.randrange(width), chance.randrange(height)
        w, h = (
            chance.randrange(width // 20, width // 4),
            chance.randrange(height // 20, height // 4),
        )
        colour = tuple(chance.randrange(256) for _ in range(3))
        (draw.ellipse if chance.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def median_ms(run: Callable[[], object], rounds: int) -> float:
    run()  # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--largest", type=int, default=1_000_000)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="townsquare-hash-bench-"))
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    import django

    django.setup()
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction
    from PIL import Image

    from townsquare.accounts import actions as account_actions
    from townsquare.media import actions as media_actions
    from townsquare.moderation import hash_banks, hash_imports, hash_index, hashing
    from townsquare.moderation.models import HashBank, HashKind

    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}")
    print(f"numpy {np.__version__}, one thread; {args.rounds} rounds, medians")
    images = {"1920x1080": photo_jpeg(1920, 1080), "4000x3000": photo_jpeg(4000, 3000)}
    paths = {}
    for name, data in images.items():
        path = data_dir / f"{name}.jpg"
        path.write_bytes(data)
        paths[name] = path

    print("\n1. hashing one image (JPEG q92)")
    for name, path in paths.items():
        size = len(images[name]) / 1e6
        total = median_ms(lambda p=path: hashing.hash_image(p), args.rounds)
        exact = median_ms(lambda p=path: hashing.exact_hashes(p), args.rounds)

        def full_resolution(p: Path = path) -> tuple[np.ndarray, int]:
            with Image.open(p) as image:
                return hashing.pdq_of_pixels(np.asarray(image.convert("RGB")))

        full = median_ms(full_resolution, max(3, args.rounds // 3))
        shrunk = hashing.hash_image(path)
        drift = hashing.hamming(shrunk.pdq, hashing.to_hex(full_resolution()[0][0]))
        print(
            f"  {name} ({size:.1f} MB): all hashes {total:.1f} ms (MD5+SHA-256 {exact:.1f} ms, "
            f"PDQ x8 at 512 px {total - exact:.1f} ms); PDQ x8 at full size {full:.0f} ms; "
            f"512-px hash differs from the full-size one by {drift} bits; quality {shrunk.quality}"
        )

    print("\n2. PDQ lookup (an upload's 8 forms, distance <= 31)")
    rng = np.random.default_rng(7)
    query = hashing.hash_image(paths["1920x1080"]).forms
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.largest]
    for count in sizes:
        packed = rng.integers(0, 256, size=count * 32, dtype=np.uint8)
        index = hash_index.PdqIndex(np.arange(count, dtype=np.int64), packed)
        scan = median_ms(lambda i=index: i.nearest(query), args.rounds)
        print(f"  in memory, {count:>9,} hashes: {scan:.2f} ms ({scan / 8:.2f} ms per form)")

    owner = None
    call_command("migrate", verbosity=0)
    owner = account_actions.create_user("bench", "bench@example.org", None, email_confirmed=True)
    bank = HashBank.objects.create(name="Bench", label="random")
    inserted = 0
    for count in sizes:
        values = rng.integers(0, 256, size=(count - inserted, 32), dtype=np.uint8)
        entries = [(HashKind.PDQ, bytes(row).hex(), "") for row in values]
        started = time.perf_counter()
        with transaction.atomic():  # what one import job does, here in one part
            hash_imports._insert(bank.pk, None, entries)
        HashBank.objects.filter(pk=bank.pk).update(revision=bank.revision + count)
        filled = time.perf_counter() - started
        rate = (count - inserted) / filled
        inserted = count
        hash_index.forget()
        started = time.perf_counter()
        hash_index.pdq_index()
        load = (time.perf_counter() - started) * 1000
        md5, sha = hashing.exact_hashes(paths["1920x1080"])
        found = median_ms(lambda m=md5, s=sha: hash_index.find(m, s, query), args.rounds)
        print(
            f"  database, {count:>9,} hashes: find() {found:.2f} ms; index load "
            f"{load:.0f} ms once per process after a change (import: {filled:.1f} s, "
            f"{rate:,.0f} hashes/s)"
        )

    print(f"\n3. per upload (media.actions.upload, {inserted:,} PDQ hashes banked)")
    screen = hash_banks.screen_upload
    for name, data in images.items():

        def upload(d: bytes = data) -> object:
            return media_actions.upload(owner, SimpleUploadedFile("p.jpg", d, "image/jpeg"))

        with_hashing = median_ms(upload, args.rounds)
        hash_banks.screen_upload = lambda path, kind: None  # type: ignore[assignment]
        without = median_ms(upload, args.rounds)
        hash_banks.screen_upload = screen
        print(
            f"  {name}: {with_hashing:.0f} ms with hashing and matching, {without:.0f} ms "
            f"without: +{with_hashing - without:.0f} ms"
        )


if __name__ == "__main__":
    main()
