"""Sleep features of a recording, the same columns the simulator writes (:mod:`trdlab.biomarkers.sleep`).

1. Stages per 30-s epoch: a given hypnogram (CSV with a ``stage`` column, W/N1/N2/N3/R or 0-4,
   one row per epoch from the recording's start), or YASA's shipped LightGBM classifier
   (``yasa.SleepStaging(raw, eeg_name=channel).predict()``, EEG-only model).
2. NREM episodes: from the first N2/N3 epoch, an episode runs until the first REM epoch; the next
   starts at the next N2/N3 epoch after that REM period (a simplified Feinberg-Floyd rule without
   the 15-min minimum; documented, not tuned).
3. Slow-wave activity of each N2/N3 epoch: absolute 0.5-4.5 Hz power (uV^2), from a Welch PSD
   (4-s Hann windows, scipy) integrated by ``yasa.bandpower_from_psd_ndarray``; ``swa_nrem1`` and
   ``swa_nrem2`` are the episode means, ``delta_sleep_ratio`` their ratio; ``sws_minutes`` = N3
   epochs x 0.5 min.
4. Slow waves (``yasa.sw_detect`` on N2/N3, its default AASM-like criteria): density per NREM
   minute, mean peak-to-peak amplitude (uV) and mean slope (uV/s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import welch

from trdlab.psg.edf import PsgError, Recording

EPOCH_S = 30.0
STAGES = ("W", "N1", "N2", "N3", "R")
STAGE_CODES = {stage: code for code, stage in enumerate(STAGES)}
"""YASA's integer codes (0 wake ... 4 REM)."""
FEATURES = ("swa_nrem1", "swa_nrem2", "delta_sleep_ratio", "sws_minutes", "sw_density", "sw_amplitude", "sw_slope",
            "sleep_minutes")
SUMMARY = FEATURES[:5]
"""The columns a summary view shows."""
EPISODE_SWA = ("swa_nrem1", "swa_nrem2")
"""SWA of NREM episodes 1 and 2 (a synthetic night's injected truth is per episode)."""


def epoch_count(recording: Recording) -> int:
    """Whole 30-s epochs in the recording."""
    return int(recording.data.size // int(round(EPOCH_S * recording.rate_hz)))


def read_hypnogram(path: str | Path, epochs: int) -> tuple[str, ...]:
    """Stages of a hypnogram CSV (``stage`` column; W/N1/N2/N3/R or 0-4), checked against the recording."""
    path = Path(path)
    if not path.is_file():
        raise PsgError(f"--hypnogram {path}: no such file; give a CSV with one 'stage' per 30-s epoch")
    table = pd.read_csv(path)
    if "stage" not in table.columns:
        raise PsgError(f"--hypnogram {path}: no 'stage' column (columns: {', '.join(table.columns)})")
    codes = {str(code): stage for stage, code in STAGE_CODES.items()}
    stages = [codes.get(str(v).strip(), str(v).strip().upper()) for v in table["stage"]]
    stages = ["R" if s == "REM" else s for s in stages]
    bad = sorted(set(stages) - set(STAGES))
    if bad:
        raise PsgError(f"--hypnogram {path}: stages {bad} are not W, N1, N2, N3, R (or 0-4)")
    if abs(len(stages) - epochs) > 1:
        raise PsgError(f"--hypnogram {path}: {len(stages)} epochs, the recording has {epochs} 30-s epochs; "
                       "give one stage per epoch from the recording's start")
    return tuple(stages[:epochs]) + ("W",) * max(0, epochs - len(stages))


def yasa_stages(recording: Recording) -> tuple[str, ...]:
    """Stages from YASA's shipped classifier (EEG-only)."""
    import warnings

    import yasa

    staging = yasa.SleepStaging(recording.raw, eeg_name=recording.channel)
    with warnings.catch_warnings():  # the shipped classifier's label encoder was pickled by scikit-learn 0.24
        warnings.simplefilter("ignore", UserWarning)
        predicted = staging.predict()
    labels = predicted.hypno.tolist()  # yasa >= 0.7: a Hypnogram of stage labels
    return tuple("R" if str(s) in ("REM", "R") else ("W" if str(s) in ("WAKE", "W") else str(s)) for s in labels)


def nrem_episodes(stages: tuple[str, ...]) -> np.ndarray:
    """Episode number (1, 2, ...) of every N2/N3 epoch; 0 elsewhere (see the module docstring)."""
    out = np.zeros(len(stages), int)
    current, in_rem = 0, True
    for k, stage in enumerate(stages):
        if stage in ("N2", "N3"):
            if in_rem:
                current, in_rem = current + 1, False
            out[k] = current
        elif stage == "R" and current:
            in_rem = True
    return out


def epoch_swa(recording: Recording, epochs: int) -> np.ndarray:
    """Absolute 0.5-4.5 Hz power (uV^2) of every 30-s epoch."""
    import yasa

    per = int(round(EPOCH_S * recording.rate_hz))
    data = recording.data[: epochs * per].reshape(epochs, per)
    freqs, psd = welch(data, recording.rate_hz, window="hann", nperseg=int(4 * recording.rate_hz), axis=-1)
    power = yasa.bandpower_from_psd_ndarray(psd, freqs, bands=[(0.5, 4.5, "Delta")], relative=False)
    return np.asarray(power[0], float)


def psg_features(recording: Recording, stages: tuple[str, ...] | None = None) -> dict[str, float]:
    """The night's features (:data:`FEATURES`); stages from YASA when none are given."""
    import yasa

    epochs = epoch_count(recording)
    stages = stages if stages is not None else yasa_stages(recording)
    stages = tuple(stages[:epochs])
    episode = nrem_episodes(stages)
    swa = epoch_swa(recording, len(stages))
    means = [float(swa[episode == k].mean()) if np.any(episode == k) else float("nan") for k in (1, 2)]
    nrem = np.array([s in ("N2", "N3") for s in stages])
    hypno = np.repeat([STAGE_CODES[s] for s in stages], int(round(EPOCH_S * recording.rate_hz)))
    data = recording.data[: hypno.size]
    waves = yasa.sw_detect(data, recording.rate_hz, hypno=hypno, include=(2, 3), verbose="error")
    nrem_minutes = float(nrem.sum() * EPOCH_S / 60.0)
    if waves is None:  # no slow wave detected: density 0 (if there was NREM sleep), no amplitude or slope
        density = 0.0 if nrem_minutes else float("nan")
        amplitude = slope = float("nan")
    else:
        events = waves.summary()
        density = float(len(events) / nrem_minutes) if nrem_minutes else float("nan")
        amplitude, slope = float(events["PTP"].mean()), float(events["Slope"].mean())
    return {"swa_nrem1": means[0], "swa_nrem2": means[1],
            "delta_sleep_ratio": means[0] / means[1] if means[1] else float("nan"),
            "sws_minutes": float(sum(s == "N3" for s in stages) * EPOCH_S / 60.0),
            "sw_density": density, "sw_amplitude": amplitude, "sw_slope": slope,
            "sleep_minutes": float(sum(s != "W" for s in stages) * EPOCH_S / 60.0)}
