"""Plates of the simulated vehicles: their true (normalised) form, how cameras spell them, how they misread them.

Plates are held as matrices of Unicode code points (one row per plate, 8 columns, zero padded), so
that spelling variants and misreads of millions of reads are array operations. A row becomes a
string through a NumPy ``<U`` view, which Arrow converts without Python objects.

Spelling styles (a camera vendor's export writes every plate one way):

====  ==============  ==========================
 0    canonical        ``苏N12345``
 1    middle dot       ``苏N·12345``
 2    space            ``苏N 12345``
 3    full width       ``苏Ｎ１２３４５``
 4    lower case       ``苏n12345`` (letters only)
 5    spaced out       ``苏 N 12345``
====  ==============  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pingan.plates import OCR_CONFUSIONS, PROVINCES

WIDTH = 8
N_STYLES = 6
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
VEHICLE_TYPES = ("car", "suv", "van", "truck", "bus")
PLATE_COLOURS = ("blue", "green", "yellow", "yellow_green")
#: Province characters a camera most often reads in place of another.
_PROVINCE_MISREADS = "皖鲁浙豫赣鄂京沪苏冀"

_MIDDLE_DOT = ord("·")
_SPACE = ord(" ")


def _confusion_table() -> tuple[np.ndarray, np.ndarray]:
    """For each ASCII code point: how many characters a camera confuses it with, and which."""
    alts = np.zeros((128, 4), dtype=np.uint32)
    count = np.zeros(128, dtype=np.int64)
    for group in OCR_CONFUSIONS:
        for char in group:
            others = sorted(group - {char})
            count[ord(char)] = len(others)
            alts[ord(char), : len(others)] = [ord(o) for o in others]
    return count, alts


_CONFUSION_COUNT, _CONFUSION_ALTS = _confusion_table()


def random_plates(rng: np.random.Generator, provinces: np.ndarray, letters: np.ndarray,
                  new_energy: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Code-point rows of fresh civil plates (GA 36): province, authority letter, 5 or 6 characters."""
    n = len(provinces)
    mat = np.zeros((n, WIDTH), dtype=np.uint32)
    mat[:, 0] = provinces
    mat[:, 1] = letters
    alnum_letter = np.frombuffer(LETTERS.encode(), dtype=np.uint8).astype(np.uint32)
    digit = np.frombuffer(DIGITS.encode(), dtype=np.uint8).astype(np.uint32)
    letter_p = np.array([0.35, 0.2, 0.15, 0.15, 0.1])
    use_letter = rng.random((n, 5)) < letter_p
    body = np.where(use_letter, alnum_letter[rng.integers(0, len(alnum_letter), (n, 5))],
                    digit[rng.integers(0, 10, (n, 5))])
    mat[:, 2:7] = body
    # New-energy plates: D/F then a letter or digit then four digits (small), or five digits then D/F (large).
    df = np.where(rng.random(n) < 0.7, ord("D"), ord("F")).astype(np.uint32)
    small = new_energy & ~large
    big = new_energy & large
    if small.any():
        k = int(small.sum())
        second = np.where(rng.random(k) < 0.3, alnum_letter[rng.integers(0, len(alnum_letter), k)],
                          digit[rng.integers(0, 10, k)])
        mat[small, 2] = df[small]
        mat[small, 3] = second
        mat[small, 4:8] = digit[rng.integers(0, 10, (k, 4))]
    if big.any():
        k = int(big.sum())
        mat[big, 2:7] = digit[rng.integers(0, 10, (k, 5))]
        mat[big, 7] = df[big]
    return mat


def unique_plates(rng: np.random.Generator, provinces: np.ndarray, letters: np.ndarray,
                  new_energy: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Like :func:`random_plates`, redrawing until no two rows are the same plate."""
    mat = random_plates(rng, provinces, letters, new_energy, large)
    keys = plate_keys(mat)
    _, first = np.unique(keys, return_index=True)
    taken = np.sort(keys[first])
    todo = np.setdiff1d(np.arange(len(mat)), first)
    for _ in range(200):
        if len(todo) == 0:
            return mat
        fresh = random_plates(rng, provinces[todo], letters[todo], new_energy[todo], large[todo])
        fresh_keys = plate_keys(fresh)
        pos = np.minimum(np.searchsorted(taken, fresh_keys), len(taken) - 1)
        clash = taken[pos] == fresh_keys
        _, own_first = np.unique(fresh_keys, return_index=True)
        repeated = np.ones(len(todo), dtype=bool)
        repeated[own_first] = False
        ok = ~(clash | repeated)
        mat[todo[ok]] = fresh[ok]
        taken = np.sort(np.concatenate([taken, fresh_keys[ok]]))
        todo = todo[~ok]
    raise RuntimeError("could not draw unique plates")  # pragma: no cover - 10^7 plates per letter


def plate_keys(mat: np.ndarray) -> np.ndarray:
    """One int64 per plate row (province index, then 7 bits per character): equal keys, equal plates."""
    province = np.searchsorted(_PROVINCE_SORTED, mat[:, 0]).astype(np.int64)
    key = province
    for col in range(1, WIDTH):
        key = (key << 7) | (mat[:, col].astype(np.int64) & 127)
    return key


_PROVINCE_SORTED = np.sort(np.array([ord(c) for c in PROVINCES], dtype=np.uint32))


def _duplicated(mat: np.ndarray) -> np.ndarray:
    _, first = np.unique(plate_keys(mat), return_index=True)
    dup = np.ones(len(mat), dtype=bool)
    dup[first] = False
    return dup


def to_strings(mat: np.ndarray) -> np.ndarray:
    """Rows of code points as a NumPy unicode array (trailing zeros drop off)."""
    width = mat.shape[1]
    return np.ascontiguousarray(mat, dtype=np.uint32).view(f"<U{width}").reshape(-1)


def render(mat: np.ndarray, style: int) -> np.ndarray:
    """Rows spelled the way a camera of ``style`` writes them (see the module docstring)."""
    n = len(mat)
    if style == 0:
        return to_strings(mat)
    if style in (1, 2):
        out = np.zeros((n, WIDTH + 1), dtype=np.uint32)
        out[:, :2] = mat[:, :2]
        out[:, 2] = _MIDDLE_DOT if style == 1 else _SPACE
        out[:, 3:] = mat[:, 2:]
        return to_strings(out)
    if style == 3:
        out = mat.copy()
        tail = out[:, 1:]
        ascii_alnum = ((tail >= 0x30) & (tail <= 0x39)) | ((tail >= 0x41) & (tail <= 0x5A))
        tail[ascii_alnum] += 0xFEE0
        return to_strings(out)
    if style == 4:
        out = mat.copy()
        tail = out[:, 1:]
        tail[(tail >= 0x41) & (tail <= 0x5A)] += 0x20
        return to_strings(out)
    if style == 5:
        out = np.zeros((n, WIDTH + 2), dtype=np.uint32)
        out[:, 0] = mat[:, 0]
        out[:, 1] = _SPACE
        out[:, 2] = mat[:, 1]
        out[:, 3] = _SPACE
        out[:, 4:] = mat[:, 2:]
        return to_strings(out)
    raise ValueError(f"`style` was {style} but is expected to be 0..{N_STYLES - 1}")


def misread(rng: np.random.Generator, mat: np.ndarray, province_share: float = 0.08) -> np.ndarray:
    """Rows with one character misread: an OCR confusion, or now and then the province character."""
    out = mat.copy()
    n = len(out)
    if n == 0:
        return out
    tail = out[:, 1:]
    confusable = np.where(tail < 128, _CONFUSION_COUNT[np.minimum(tail, 127)], 0) > 0
    score = rng.random(tail.shape) * confusable
    position = score.argmax(axis=1)
    has = confusable.any(axis=1)
    province = ~has | (rng.random(n) < province_share)
    rows = np.flatnonzero(~province)
    chars = tail[rows, position[rows]]
    pick = (rng.random(len(rows)) * _CONFUSION_COUNT[chars]).astype(np.int64)
    tail[rows, position[rows]] = _CONFUSION_ALTS[chars, pick]
    rows = np.flatnonzero(province)
    if len(rows):
        choices = np.array([ord(c) for c in _PROVINCE_MISREADS], dtype=np.uint32)
        own = out[rows, 0]
        match = own[:, None] == choices[None, :]
        listed = match.any(axis=1)
        own_pos = match.argmax(axis=1)
        # Draw among the other provinces: skip over the plate's own one.
        k = (rng.random(len(rows)) * (len(choices) - listed)).astype(np.int64)
        k += listed & (k >= own_pos)
        drawn = choices[k]
        out[rows, 0] = drawn
    return out


@dataclass
class PlateBook:
    """Every vehicle's true plate, colour and type, and every spelling of every plate."""

    codes: np.ndarray
    """Code points, vehicles × :data:`WIDTH`; a cloned plate's row equals its victim's."""
    plate_id: np.ndarray
    """The vehicle whose plate this is (itself, or the victim for a clone)."""
    colour: np.ndarray
    vehicle_type: np.ndarray
    spellings: pa.StringArray
    """All spellings, style-major: spelling of vehicle v in style s is at ``s * n + v``."""

    @property
    def n(self) -> int:
        return len(self.codes)

    def plate(self, vehicle: int) -> str:
        """The normalised plate of a vehicle."""
        return str(to_strings(self.codes[vehicle : vehicle + 1])[0])

    def plates(self) -> np.ndarray:
        return to_strings(self.codes)


def arrow_strings(text: np.ndarray) -> pa.StringArray:
    """A NumPy unicode array as one Arrow string array (Arrow may hand back chunks for big inputs)."""
    out = pa.array(text, type=pa.string())
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def make_platebook(codes: np.ndarray, plate_id: np.ndarray, colour: np.ndarray,
                   vehicle_type: np.ndarray) -> PlateBook:
    spellings = pa.concat_arrays([arrow_strings(render(codes, style)) for style in range(N_STYLES)])
    return PlateBook(codes=codes, plate_id=plate_id, colour=colour, vehicle_type=vehicle_type, spellings=spellings)


def province_codes(chars: str) -> np.ndarray:
    """Code points of province characters (for :func:`random_plates`)."""
    for c in chars:
        if c not in PROVINCES:
            raise ValueError(f"`{c}` is not a province character")
    return np.array([ord(c) for c in chars], dtype=np.uint32)
