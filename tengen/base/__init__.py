"""The bottom layer: what every layer shares (command lines from dataclasses, atomic
files, stopping at a safe point, where files are, provenance)."""
