"""The print: a revision played through the rig into a sealed prints/rNNNN-KK folder (pipeline), the
folders themselves (folders), and what a print says about itself (provenance)."""
