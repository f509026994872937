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


def _declared_size(path: Path) -> int | None:
    """Bytes the EDF header promises (header + records x record size; 0 when it does not say), or None
    when the header is unreadable."""
    try:
        head = path.read_bytes()[:256]
        header_bytes, records, signals = int(head[184:192]), int(head[236:244]), int(head[252:256])
        block = path.read_bytes()[256:256 + signals * 256]
        offset = signals * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80)
        samples = [int(block[offset + 8 * i: offset + 8 * (i + 1)]) for i in range(signals)]
    except (ValueError, IndexError):
        return None
    return header_bytes + records * sum(samples) * 2 if records > 0 else 0  # -1: record count unknown


def read_recording(path: str | Path, channel: str | None = None, *, min_minutes: float = MIN_MINUTES,
                   min_rate_hz: float = MIN_RATE_HZ) -> Recording:
    """The EEG channel (``channel``, or the first of :data:`PREFERRED` present) of an EDF file.

    ``min_minutes`` / ``min_rate_hz``: the refusals for a night's analysis (lower them to read a short
    test signal)."""
    import mne

    path = Path(path)
    if not path.is_file():
        raise PsgError(f"{path}: no such file; give an EDF/EDF+ recording")
    declared = _declared_size(path)
    if declared is None:
        raise PsgError(f"{path}: not an EDF/EDF+ file (its 256-byte header cannot be read); export the recording "
                       "as EDF from the acquisition software")
    if path.stat().st_size < declared:
        raise PsgError(f"{path}: truncated: the header declares {declared} bytes of records, the file has "
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
    rate = float(raw.info["sfreq"])
    if rate < min_rate_hz:
        raise PsgError(f"{path}: channel {channel!r} is sampled at {rate:g} Hz, below {min_rate_hz:g} Hz; "
                       "sleep staging and slow-wave detection need at least 100 Hz (re-export at a higher rate)")
    minutes = raw.n_times / rate / 60.0
    if minutes < min_minutes:
        raise PsgError(f"{path}: {minutes:.1f} min of recording, too short to stage (at least {min_minutes:g} min; "
                       "a night is ~8 h)")
    picked = raw.copy().pick([channel]).load_data(verbose="error")
    data = picked.get_data(units="uV")[0]
    return Recording(np.asarray(data, float), rate, channel, str(path), picked)
