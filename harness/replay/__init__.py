"""Replay and visual checks: the snippet's batches decoded into a session, rebuilt in an inert page, compared with
the live screenshots (fidelity), proven to hide what is protected (redaction), held to baselines; heatmaps, video.
"""
