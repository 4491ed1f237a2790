"""conductor: perform live with a transformer MIDI model, scripted by YAML piece files.

Data flows one way: MIDI in → memory → context → model → filters → scheduler → MIDI out,
with the compiled piece/section as a read-only input to every stage.
"""

__version__ = "0.1.0"
