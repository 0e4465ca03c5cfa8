"""Garbage-collection pauses of every Python process started with this folder on PYTHONPATH
(Python imports `sitecustomize` at start-up): one line per collection that took at least
BENCH_GC_MIN_MS (3) milliseconds, and every full one, to BENCH_GC_DIR/gc-<pid>.txt
(BENCH_GC_DIR defaults to /tmp/gc_probe):

    <unix time> gen<0|1|2> <milliseconds> collected=<objects freed>

BENCH_GC_THRESHOLD=a,b,c makes every later `gc.set_threshold()` call set these values instead
(to compare thresholds without editing townsquare/wsgi.py). The benchmarks pass the parent's
environment on to the server and workers, so:

    PYTHONPATH=bench/gc_probe BENCH_GC_THRESHOLD=3000,20,100 .venv/bin/python bench/surge.py

Not imported by anything else; bench/README.md, "Garbage collection pauses", has what it found."""

import gc
import os
import time

_folder = os.environ.get("BENCH_GC_DIR", "/tmp/gc_probe")
_min_ms = float(os.environ.get("BENCH_GC_MIN_MS", "3"))
_started = [0.0]


def _record(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    if ms >= _min_ms or info["generation"] == 2:
        os.makedirs(_folder, exist_ok=True)
        with open(os.path.join(_folder, f"gc-{os.getpid()}.txt"), "a") as out:
            out.write(
                f"{time.time():.3f} gen{info['generation']} {ms:.1f} "
                f"collected={info['collected']}\n"
            )


gc.callbacks.append(_record)

if os.environ.get("BENCH_GC_THRESHOLD"):
    _values = tuple(int(v) for v in os.environ["BENCH_GC_THRESHOLD"].split(","))
    _set_threshold = gc.set_threshold
    gc.set_threshold = lambda *_ignored: _set_threshold(*_values)  # type: ignore[assignment]
