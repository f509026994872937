"""Sleep EEG recordings (polysomnography) through the field's own tools.

- :mod:`~trdlab.psg.edf`: read one EEG channel of an EDF/EDF+ file (MNE), with one clear error for
  a missing or corrupt file, a missing channel, a rate too low or a recording too short;
- :mod:`~trdlab.psg.features`: stage (YASA's shipped classifier, or a given hypnogram), find the
  NREM episodes, and compute the simulator's sleep features (SWA per episode, delta sleep ratio,
  slow-wave sleep) plus slow-wave density, amplitude and slope (YASA ``sw_detect``);
- :mod:`~trdlab.psg.synthetic`: a simulated subject's night as an EDF file with known injected
  slow-wave power (the offline stand-in for real overnight PSG).
"""
