"""One Transport per wire: MIDI (mido), OSC (python-osc), serial (pyserial), manual."""
