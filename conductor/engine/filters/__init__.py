"""Filters: pure functions on the AI's notes (key, chords, melody, density, range, velocity, horizon)."""
