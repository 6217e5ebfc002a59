"""Audio interfaces: one AudioInterface with a PortAudio implementation and a simulated one."""
