"""Finding an upload's hashes in the enabled hash banks, fast.

MD5 and SHA-256 are exact: one indexed query. PDQ matches within a Hamming distance of 31,
which no database index answers: every process keeps the enabled banks' PDQ hashes in memory
as four columns of 64-bit words (N x 32 bytes, 32 MB for a million hashes) and scans them all
with NumPy (XOR, then a population count), for each of the upload's eight rotated and mirrored
forms: about 2 ms per form per million hashes on one core (bench/hash_bench.py).

The copy in memory is rebuilt when the banks change: every change gives the bank a new
`revision` (a time-ordered id), and before each lookup one small query reads the number of
banks and their highest revision; a difference means another process (or this one) changed
something.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Q

from townsquare.moderation.models import BankedHash, HashBank, HashKind

MAX_DISTANCE = 31
LOAD_BATCH = 20_000


@dataclass(frozen=True)
class Found:
    banked_hash_id: int
    kind: str
    distance: int
    upload_value: str  # the upload's hash that matched (for PDQ, the form that matched)


class PdqIndex:
    """The PDQ hashes of the enabled banks, in memory: `columns[k][i]` is the k-th 64-bit word
    of the i-th hash, `ids[i]` its BankedHash id."""

    def __init__(self, ids: np.ndarray, packed: np.ndarray) -> None:
        self.ids = ids
        words = packed.reshape(-1, 32).view(np.uint64)
        self.columns = [np.ascontiguousarray(words[:, k]) for k in range(4)]
        self.size = len(ids)
        self._scratch = threading.local()

    @classmethod
    def from_hex(cls, ids: list[int], values: list[str]) -> PdqIndex:
        packed = np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8)
        return cls(np.asarray(ids, dtype=np.int64), packed)

    def distances(self, form: np.ndarray) -> np.ndarray:
        """The Hamming distance from one 32-byte hash to every hash in the index."""
        query = np.ascontiguousarray(form, dtype=np.uint8).view(np.uint64)
        scratch = self._buffers()
        word, bits, total = scratch
        np.bitwise_xor(self.columns[0], query[0], out=word)
        np.bitwise_count(word, out=total)
        for k in range(1, 4):
            np.bitwise_xor(self.columns[k], query[k], out=word)
            np.bitwise_count(word, out=bits)
            total += bits
        return total

    def _buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = getattr(self._scratch, "buffers", None)
        if found is None:
            found = (
                np.empty(self.size, dtype=np.uint64),
                np.empty(self.size, dtype=np.uint8),
                np.empty(self.size, dtype=np.uint8),
            )
            self._scratch.buffers = found
        return found

    def nearest(self, forms: np.ndarray, within: int = MAX_DISTANCE) -> tuple[int, int, int] | None:
        """(BankedHash id, distance, which form) of the closest hash within `within` of any of
        `forms` (k x 32 bytes), or None."""
        if self.size == 0 or len(forms) == 0:
            return None
        best: tuple[int, int, int] | None = None
        for number, form in enumerate(forms):
            total = self.distances(form)
            position = int(np.argmin(total))
            distance = int(total[position])
            if distance <= within and (best is None or distance < best[1]):
                best = (int(self.ids[position]), distance, number)
                if distance == 0:
                    break
        return best


_lock = threading.Lock()
_cached: tuple[tuple[int, int | None], PdqIndex] | None = None


def banks_version() -> tuple[int, int | None]:
    row = HashBank.objects.aggregate(count=Count("id"), top=Max("revision"))
    return row["count"], row["top"]


def load_index() -> PdqIndex:
    """Read every enabled bank's PDQ hashes from the database."""
    ids: list[int] = []
    values: list[str] = []
    rows = (
        BankedHash.objects.filter(kind=HashKind.PDQ, bank__enabled=True)
        .values_list("id", "value")
        .iterator(chunk_size=LOAD_BATCH)
    )
    for pk, value in rows:
        ids.append(pk)
        values.append(value)
    return PdqIndex.from_hex(ids, values)


def pdq_index(version: tuple[int, int | None] | None = None) -> PdqIndex:
    """This process's index, rebuilt first when the banks changed since it was built."""
    global _cached
    version = version or banks_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _cached
        if cached is not None and cached[0] == version:
            return cached[1]
        index = load_index()
        _cached = (version, index)
        return index


def forget() -> None:
    """Drop this process's index (tests; it is rebuilt on the next lookup)."""
    global _cached
    _cached = None


def find(md5: str, sha256: str, pdq_forms: np.ndarray) -> Found | None:
    """The best match of an upload's hashes in the enabled banks: an exact hash first, then the
    nearest PDQ hash within MAX_DISTANCE of any of its forms. No banks: one query."""
    version = banks_version()
    if version[0] == 0:
        return None
    exact = (
        BankedHash.objects.filter(bank__enabled=True)
        .filter(Q(kind=HashKind.SHA256, value=sha256) | Q(kind=HashKind.MD5, value=md5))
        .values_list("id", "kind")
    )
    for pk, kind in exact[:1]:
        return Found(pk, kind, 0, sha256 if kind == HashKind.SHA256 else md5)
    if len(pdq_forms) == 0:
        return None
    nearest = pdq_index(version).nearest(pdq_forms)
    if nearest is None:
        return None
    pk, distance, form = nearest
    return Found(pk, HashKind.PDQ, distance, bytes(pdq_forms[form]).hex())
