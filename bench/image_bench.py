"""Image attachment throughput: 12-megapixel JPEGs through the whole attachment pipeline.

Each round uploads a generated 4000 x 3000 camera JPEG (EXIF orientation 6, as phones write
it) with `media.actions.upload` (checked by decoding, original stored), then runs the
processing job (decode, orient, resize to the display sizes and a thumbnail, blurhash,
encode, store) on a throwaway SQLite site with local file storage. Prints images/s.

    .venv/bin/python bench/image_bench.py            # 20 images
    .venv/bin/python bench/image_bench.py --count 50
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def camera_jpeg(seed: int) -> bytes:
    """A 4000 x 3000 photo-like JPEG (smooth gradients with grain), quality 92, EXIF."""
    from PIL import Image

    base = Image.linear_gradient("L").resize((4000, 3000))
    grain = Image.effect_noise((4000, 3000), 18 + seed % 5)
    red = Image.blend(base, grain, 0.35)
    green = Image.blend(base.rotate(90, expand=False), grain, 0.25)
    blue = Image.radial_gradient("L").resize((4000, 3000))
    image = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "BenchCam"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="images to process")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="townsquare-image-bench-"))
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from townsquare.accounts import actions as account_actions
    from townsquare.media import actions, tasks
    from townsquare.media.models import MediaAttachment, Status
    from townsquare.media.storage import all_outputs

    call_command("migrate", verbosity=0)
    owner = account_actions.create_user("bench", "bench@example.org", None, email_confirmed=True)
    samples = [camera_jpeg(i) for i in range(3)]
    print(f"input: 4000 x 3000 JPEG, {statistics.mean(map(len, samples)) / 1e6:.1f} MB each")

    # Warm up (imports, colour profiles, first allocation).
    warm = actions.upload(owner, SimpleUploadedFile("w.jpg", samples[0], "image/jpeg"))
    tasks.process_attachment.call(warm.pk)

    upload_times, process_times, process_cpu = [], [], []
    started = time.perf_counter()
    for i in range(args.count):
        data = samples[i % len(samples)]
        t0 = time.perf_counter()
        attachment = actions.upload(owner, SimpleUploadedFile("p.jpg", data, "image/jpeg"))
        t1, c1 = time.perf_counter(), time.process_time()
        status = tasks.process_attachment.call(attachment.pk)
        t2, c2 = time.perf_counter(), time.process_time()
        process_cpu.append(c2 - c1)
        assert status == Status.READY, status
        upload_times.append(t1 - t0)
        process_times.append(t2 - t1)
    total = time.perf_counter() - started

    done = MediaAttachment.objects.get(pk=attachment.pk)
    outputs = [p for p in all_outputs(done.token) if (data_dir / "media" / p).exists()]
    sizes = ", ".join(f"{s['width']}x{s['height']}" for s in done.sizes)
    print(f"output per image: display {sizes}, thumbnail, blurhash {done.blurhash}")
    print(f"files per image: {len(outputs)}")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, one thread")
    print(f"upload check + store original: median {statistics.median(upload_times) * 1000:.0f} ms")
    print(
        f"processing job: median {statistics.median(process_times) * 1000:.0f} ms wall, "
        f"{statistics.median(process_cpu) * 1000:.0f} ms CPU"
    )
    print(f"end to end: {args.count / total:.2f} images/s ({args.count} images, {total:.1f} s)")
    print(f"processing alone: {1 / statistics.median(process_times):.2f} images/s per worker")
    print(f"CPU-bound ceiling: {1 / statistics.median(process_cpu):.2f} images/s per core")


if __name__ == "__main__":
    main()
