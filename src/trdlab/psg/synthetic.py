"""A simulated night as a sleep EEG recording with known injected slow-wave power.

Signal model (one EEG channel, microvolts, 30-s epochs):

- the hypnogram: ``latency`` of wake, then NREM-REM cycles of the sleep model (the first
  ``nrem_fraction`` of each ``cycle`` NREM, the rest REM) until the time in bed is over;
- each NREM epoch's slow-wave power ``P_e`` (uV^2, 0.5-4.5 Hz) is drawn lognormal around the sleep
  model's SWA at that time (:mod:`trdlab.biomarkers.sleep`; mean SWA(t), CV ``epoch_cv``); the
  epoch is N3 when ``P_e`` exceeds the N3 threshold, else N2; wake and REM epochs carry
  ``quiet_delta`` uV^2;
- the delta component is Gaussian noise with power density ~ 1/f^2 on 0.75-4.25 Hz and zero
  elsewhere (FFT synthesis, scaled to unit variance; most power below 1.5 Hz, as in NREM sleep,
  so that slow waves of the AASM amplitude occur), times ``sqrt(P_e)`` in each epoch: its variance, hence
  its 0.5-4.5 Hz power, is ``P_e`` by construction (slow waves of AASM amplitude are rare in such
  noise: the slow-wave columns of a synthetic night are not calibrated to anything);
- a background of 4.5-30 Hz noise (``background`` uV^2, no power in the delta band) and, in wake,
  10 Hz alpha.

The injected truth (per-epoch ``P_e``, the stages, the per-episode means) is returned with the
signal, so a test can check that the analysis pipeline recovers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trdlab.biomarkers.definitions import SleepModel, load_library
from trdlab.biomarkers.sleep import epoch_sigma, is_nrem, swa_at
from trdlab.psg.features import EPOCH_S

DELTA_BAND = (0.75, 4.25)
"""Hz: inside the 0.5-4.5 Hz analysis band by half the main lobe of a 4-s Hann window (0.25 Hz), so
that Welch leakage keeps the injected power inside the band (measured: 99.5 % recovered)."""


@dataclass(frozen=True)
class Night:
    """A synthetic recording: signal (uV), rate, hypnogram and the injected delta power per epoch."""

    signal: np.ndarray
    rate_hz: float
    stages: tuple[str, ...]
    injected: np.ndarray
    """0.5-4.5 Hz power (uV^2) injected in each epoch."""
    episode: np.ndarray
    """NREM episode (1, 2, ...) of each epoch; 0 outside NREM."""

    def injected_swa(self, episode: int) -> float:
        """Mean injected power over the NREM epochs of ``episode``."""
        return float(self.injected[self.episode == episode].mean())

    def hypnogram(self) -> pd.DataFrame:
        """One row per 30-s epoch: onset (s) and stage."""
        return pd.DataFrame({"onset_s": np.arange(len(self.stages)) * EPOCH_S, "stage": list(self.stages)})


def _band_noise(n: int, rate: float, low: float, high: float, rng: np.random.Generator, *,
                exponent: float = 0.0) -> np.ndarray:
    """Unit-variance Gaussian noise with power density ~ f^-exponent on [low, high] Hz and nothing outside."""
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= low) & (freqs <= high)
    shape = np.where(band, np.maximum(freqs, low) ** (-exponent / 2.0), 0.0)
    spectrum = (rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)) * shape
    signal = np.fft.irfft(spectrum, n)
    return signal / signal.std()


def synthesize_night(drive: float, *, seed: int = 1, rate_hz: float = 100.0, model: SleepModel | None = None,
                     time_in_bed_h: float | None = None, latency_min: float = 10.0, quiet_delta: float = 15.0,
                     background: float = 10.0) -> Night:
    """One night for synaptic drive ``drive`` (the human model's ``slow_wave_activity``; 1 healthy)."""
    library = load_library()
    model = model or library.sleep
    time_in_bed_h = time_in_bed_h or library.clock.time_in_bed_h
    rng = np.random.default_rng(seed)
    epochs = int(round(time_in_bed_h * 3600 / EPOCH_S))
    latency = int(round(latency_min * 60 / EPOCH_S))
    sigma = epoch_sigma(model)
    stages, injected, episode = [], np.empty(epochs), np.zeros(epochs, int)
    for k in range(epochs):
        if k < latency:
            stages.append("W")
            injected[k] = quiet_delta
            continue
        t = (k - latency + 0.5) * EPOCH_S / 3600.0
        if is_nrem(model, t):
            mean = float(swa_at(model, time_in_bed_h, drive, t))
            power = mean * np.exp(sigma * rng.standard_normal() - sigma**2 / 2)
            stages.append("N3" if power > model.n3_threshold * model.swa_healthy else "N2")
            injected[k], episode[k] = power, int(t // model.cycle_h) + 1
        else:
            stages.append("R")
            injected[k] = quiet_delta
    per_epoch = int(EPOCH_S * rate_hz)
    n = epochs * per_epoch
    delta = _band_noise(n, rate_hz, DELTA_BAND[0], DELTA_BAND[1], rng, exponent=2.0) * np.repeat(np.sqrt(injected), per_epoch)
    rest = _band_noise(n, rate_hz, 4.5 + 0.25, 30.0, rng) * np.sqrt(background)
    time = np.arange(n) / rate_hz
    wake = np.repeat(np.array([s == "W" for s in stages]), per_epoch)
    alpha = np.where(wake, 15.0 * np.sin(2 * np.pi * 10.0 * time), 0.0)
    return Night(delta + rest + alpha, rate_hz, tuple(stages), injected, episode)


def write_edf(night: Night, path: str | Path, *, channel: str = "C4-M1") -> Path:
    """Write the night as a one-channel EDF+ file (pyedflib; physical range +-1000 uV, 16 bit)."""
    import pyedflib

    path = Path(path)
    limit = float(max(1000.0, np.ceil(np.abs(night.signal).max() / 100.0) * 100.0))
    header: dict[str, str | int | float | None] = {"label": channel, "dimension": "uV", "sample_frequency": night.rate_hz, "physical_max": limit,
              "physical_min": -limit, "digital_max": 32767, "digital_min": -32768, "transducer": "AgAgCl electrode",
              "prefilter": "none"}
    writer = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders([header])
        writer.writeSamples([night.signal])
    finally:
        writer.close()
    return path
