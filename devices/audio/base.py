"""The one audio-interface contract: play the send channels, record the returns, sample-synchronously."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from devices.errors import AudioError

# The simulated analog chain as the sim interface sees it: process(audio, rate) -> audio, same shape.
AnalogChain = Callable[[np.ndarray, int], np.ndarray]


@runtime_checkable
class AudioInterface(Protocol):
    """Send N channels out and record the N returns of the loop, frame for frame.

    playrec(send) takes (frames, channels) float audio, one column per send channel in the rig's
    order, and returns (frames, channels) float64, one column per return channel: frame k of the
    capture was recorded while frame k of the send was played, so the loop's round-trip latency
    shows up as a delay inside the capture. Any dropout raises AudioError.
    """

    sample_rate: int
    block_size: int
    channels: int

    def playrec(self, send: np.ndarray) -> np.ndarray:
        """Play send and return the capture of the same length."""
        ...

    def close(self) -> None:
        """Release the device (idempotent)."""
        ...


def check_send(send: np.ndarray, channels: int) -> np.ndarray:
    """Validate a send array for an interface with `channels` send/return pairs."""
    send = np.asarray(send, dtype=np.float64)
    if send.ndim == 1 and channels == 1:
        send = send[:, None]
    if send.ndim != 2 or send.shape[1] != channels:
        raise ValueError(f"send must be shaped (frames, {channels}), got {send.shape}")
    if send.shape[0] == 0:
        raise ValueError("send has no frames")
    if not np.all(np.isfinite(send)):
        # never put NaN or infinity on a real converter: refuse with a line the user can act on
        raise AudioError("the audio to send contains NaN or infinite samples; nothing was played")
    return send
