"""dsp: pure numbers. Arrays shaped (frames, channels), a sample rate, units in every name."""
