"""calibration: measurements of the loop through an AudioInterface, stored per rig, rate and block."""
