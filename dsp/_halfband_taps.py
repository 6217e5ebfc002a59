"""The true-peak detector's half-band taps: designed by remez once, stored here so metering imports no scipy."""

from __future__ import annotations

import numpy as np

__all__ = ["CONTEXT_FRAMES", "STAGE1_DESIGN", "STAGE1_TAPS", "STAGE2_DESIGN", "STAGE2_TAPS", "halfband_unique_taps"]

# (numtaps, passband edge relative to the output rate). Stage 1 (x2) must be sharp: flat to 0.49 fs
# and rejecting images from 0.51 fs, because a true peak is what an ideal reconstruction reaches,
# and dense programme (cymbals, noise, clipped material) has real energy between 0.45 and 0.5 fs: a
# detector flat only to 0.45 fs read a limited noise burst 0.5 dB low against an FFT reference, this
# one within 0.06 dB. Stage 2 (x2 again) only rejects images that stage 1 already pushed far away,
# so it is short.
STAGE1_DESIGN = (303, 0.49 / 2.0)
STAGE2_DESIGN = (19, 0.49 / 4.0)


def halfband_unique_taps(numtaps: int, passband: float) -> np.ndarray:
    """The distinct odd-phase taps of an equiripple half-band interpolator (x2 gain included).

    `passband` is the edge relative to the *output* rate (Nyquist = 0.5). The even phase of a
    half-band filter is the input sample itself, so only the odd phase costs anything, and it is
    symmetric: y(n + 1/2) = sum_k taps[k] * (x[n - k] + x[n + 1 + k]).
    Importing scipy.signal costs 0.5 s (it pulls in scipy.stats), so the meters use the tables below,
    which tests/dsp/test_truepeak_taps.py checks against this design.
    """
    from scipy import signal

    h = signal.remez(numtaps, [0.0, passband, 0.5 - passband, 0.5], [1.0, 0.0], fs=1.0)
    centre = (numtaps - 1) // 2
    odd = 2.0 * h[centre + 1 :: 2]  # taps at centre+1, centre+3, ...: the half-sample phase
    return np.ascontiguousarray(odd, dtype=np.float32)


# halfband_unique_taps(*STAGE1_DESIGN) and (*STAGE2_DESIGN), float32 (exact as written: each
# literal is the shortest repr of its float32 value).
STAGE1_TAPS = np.array([
    0.6365677714347839, -0.21204440295696259, 0.12705782055854797, -0.09056978672742844,
    0.0702562928199768, -0.05728616192936897, 0.04827986657619476, -0.0416424460709095,
    0.03654802590608597, -0.0324995256960392, 0.029208648949861526, -0.026467610150575638,
    0.024155398830771446, -0.02216622233390808, 0.020444368943572044, -0.01892755553126335,
    0.017589645460247993, -0.016389384865760803, 0.015315604396164417, -0.014338418841362,
    0.013454609550535679, -0.012640610337257385, 0.01189853623509407, -0.01120807696133852,
    0.01057460717856884, -0.009980425238609314, 0.009432502090930939, -0.008914778009057045,
    0.008435601368546486, -0.00798013061285019, 0.0075574410147964954, -0.0071533736772835255,
    0.006777829956263304, -0.006416809745132923, 0.006081411149352789, -0.005757258273661137,
    0.005455799866467714, -0.005163825117051601, 0.004892134107649326, -0.004627736285328865,
    0.0043822345323860645, -0.004142573103308678, 0.003920234739780426, -0.003702203743159771,
    0.0035005544777959585, -0.003302149474620819, 0.003119278699159622, -0.002938594901934266,
    0.0027723009698092937, -0.0026077679358422756, 0.002456830581650138, -0.002306666923686862,
    0.002170018618926406, -0.00203345762565732, 0.0019096179166808724, -0.0017851638840511441,
    0.0016732756048440933, -0.0015602748608216643, 0.0014596211258322, -0.001356939785182476,
    0.0012669748393818736, -0.0011731110280379653, 0.0010922319488599896, -0.001009299186989665,
    0.000935423537157476, -0.0008600708097219467, 0.0007951855077408254, -0.000728120852727443,
    0.0006706821732223034, -0.0006103392224758863, 0.000559516076464206, -0.0005057619418948889,
    0.0004614883509930223, -0.0004139806842431426, 0.00037557308678515255, -0.0016626487486064434,
], dtype=np.float32)

STAGE2_TAPS = np.array([
    0.6151513457298279, -0.15503984689712524, 0.051568835973739624, -0.01376660168170929,
    0.0021147297229617834,
], dtype=np.float32)

# Frames of context a reading needs either side: stage 1's reach, stage 2's, one more.
CONTEXT_FRAMES = STAGE1_TAPS.shape[0] + 4
