"""H2 (Aydin et al. 2023): a low-rate ANN initializes the states of a high-rate SNN that tracks
human pose between initializations; the ANN at the SNN's rate and the SNN alone are the
baselines."""

__all__: list[str] = []
