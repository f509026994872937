"""Read one EEG channel of an EDF/EDF+ recording with MNE, in microvolts.

Errors (:class:`PsgError`, one line naming the file, the channel and the fix): no such file; not a
readable EDF (corrupt or truncated: the data records the header declares are not all there); the
EEG channel is missing; the sampling rate is below :data:`MIN_RATE_HZ`; the recording is shorter
than :data:`MIN_MINUTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trdlab.errors import TrdlabError

MIN_RATE_HZ = 100.0
"""YASA's staging resamples to 100 Hz, and slow-wave detection needs clean 0.3-4.5 Hz: below this, refuse."""
MIN_MINUTES = 30.0
"""Shorter recordings hold no complete NREM episode."""
PREFERRED = ("C4-M1", "C3-M2", "C4-A1", "C3-A2", "EEG C4-A1", "EEG C3-A2", "EEG C4-M1", "EEG C3-M2", "Cz", "EEG Fpz-Cz", "Fpz-Cz")


class PsgError(TrdlabError, ValueError):
    """A recording cannot be used (the message names the file, the channel and the fix)."""


@dataclass(frozen=True)
class Recording:
    """One EEG channel: samples (uV), sampling rate (Hz), the channel's name and the file."""

    data: np.ndarray
    rate_hz: float
    channel: str
    path: str
    raw: object = None
    """The MNE Raw holding the channel (what YASA's staging reads)."""

    @property
    def minutes(self) -> float:
        """Duration in minutes."""
        return self.data.size / self.rate_hz / 60.0


@dataclass(frozen=True)
class _Header:
    size: int
    """Bytes the header promises (header + records x record size); 0 when the record count is unknown."""
    rates: dict[str, float]
    """Each signal's own sampling rate (Hz), by label."""


def _header(path: Path) -> _Header | None:
    """The EDF header's promised size and per-signal rates, or None when the header is unreadable."""
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
            header_bytes, records, signals = int(head[184:192]), int(head[236:244]), int(head[252:256])
            duration = float(head[244:252])
            block = handle.read(signals * 256)
        labels = [block[16 * i: 16 * (i + 1)].decode("latin-1").strip() for i in range(signals)]
        offset = signals * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80)
        samples = [int(block[offset + 8 * i: offset + 8 * (i + 1)]) for i in range(signals)]
    except (ValueError, IndexError, OSError):
        return None
    size = header_bytes + records * sum(samples) * 2 if records > 0 else 0  # -1: record count unknown
    rates = {label: n / duration for label, n in zip(labels, samples)} if duration > 0 else {}
    return _Header(size, rates)


def read_recording(path: str | Path, channel: str | None = None, *, min_minutes: float = MIN_MINUTES,
                   min_rate_hz: float = MIN_RATE_HZ) -> Recording:
    """The EEG channel (``channel``, or the first of :data:`PREFERRED` present) of an EDF file.

    ``min_minutes`` / ``min_rate_hz``: the refusals for a night's analysis (lower them to read a short
    test signal)."""
    import mne

    path = Path(path)
    if not path.is_file():
        raise PsgError(f"{path}: no such file; give an EDF/EDF+ recording")
    header = _header(path)
    if header is None:
        raise PsgError(f"{path}: not an EDF/EDF+ file (its 256-byte header cannot be read); export the recording "
                       "as EDF from the acquisition software")
    if path.stat().st_size < header.size:
        raise PsgError(f"{path}: truncated: the header declares {header.size} bytes of records, the file has "
                       f"{path.stat().st_size}; copy the whole file again")
    try:
        raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
    except Exception as exc:  # noqa: BLE001 - MNE's reader raises several types for a corrupt file
        raise PsgError(f"{path}: not a readable EDF/EDF+ file ({type(exc).__name__}: {exc})") from None
    names = list(raw.ch_names)
    if channel is None:
        channel = next((c for c in PREFERRED if c in names), None)
        if channel is None:
            raise PsgError(f"{path}: no standard EEG channel ({', '.join(PREFERRED[:4])}, ...); name one with "
                           f"--channel (channels: {', '.join(names)})")
    elif channel not in names:
        raise PsgError(f"{path}: channel {channel!r} is not in the file; channels: {', '.join(names)}")
    rate = header.rates.get(channel, float(raw.info["sfreq"]))  # the channel's own rate (MNE resamples to the highest)
    if rate < min_rate_hz:
        raise PsgError(f"{path}: channel {channel!r} is sampled at {rate:g} Hz, below {min_rate_hz:g} Hz; "
                       "sleep staging and slow-wave detection need at least 100 Hz (re-export at a higher rate)")
    minutes = raw.n_times / float(raw.info["sfreq"]) / 60.0
    if minutes < min_minutes:
        raise PsgError(f"{path}: {minutes:.1f} min of recording, too short to stage (at least {min_minutes:g} min; "
                       "a night is ~8 h)")
    picked = raw.copy().pick([channel]).load_data(verbose="error")
    data = picked.get_data(units="uV")[0]
    return Recording(np.asarray(data, float), float(raw.info["sfreq"]), channel, str(path), picked)
