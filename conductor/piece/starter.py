"""The commented starter piece written by `conductor new NAME` (it passes `conductor check`)."""

from __future__ import annotations

_SCHEMA_LINE = "# yaml-language-server: $schema={ref}\n"
_STARTER = """\
# {title}: a conductor piece. Check it with `conductor check {stem}.yaml`.
# The full language is in docs/piece-language.md; each mode has an example in pieces/modes/.

title: {title}
tempo: 96            # beats per minute: turns bars and beats into seconds
meter: 4/4
changes_on: bar      # footswitch section changes land on the next: now | beat | bar

model: markov        # learns from you as you play; or a mapping, e.g.
# model:
#   kind: skytnt
#   checkpoint: {checkpoint}
#   sampling: {{temperature: 1.0, top_p: 0.95, top_k: 20}}

midi:
  # input: Keystation   # part of your keyboard's port name (see `conductor ports`)
  # output: Pianoteq    # part of your sound module's port name
  ai_channel: 2      # channels count 1..16
  program: 1         # General MIDI sound 1..128 (1: acoustic grand)

controls:            # footswitch / pads → actions
  - {{cc: 80, action: next}}       # next section
  - {{cc: 81, action: previous}}
  - {{cc: 82, action: panic}}      # silence everything at once
  - {{cc: 83, action: hold}}       # AI keeps listening but stops answering (press again to release)

params:              # a pedal or knob → a live parameter (value at 0, value at 127)
  - {{cc: 1, param: temperature, range: [0.8, 1.2]}}

defaults:            # every section inherits these (a section can override any key)
  listen: {{window: 4 bars}}

sections:            # the running order
  - name: intro
    mode: listen     # AI silent, listening: it learns your key and material
    length: 8 bars

  - name: together
    mode: duet       # both play freely
    length: 16 bars

  - name: comping
    mode: ai_chords  # the AI comps chords under your solo
    length: footswitch   # until you press `next`
    filters:
      - key: detect        # keep the AI in the key it hears (out-of-key notes snap)

  - name: out
    mode: ai_solo    # the AI solos over your chords
    length: 8 bars
    then: stop
"""


def starter_text(name: str, schema_ref: str | None = None, checkpoint: str | None = None) -> str:
    """A commented starter piece titled after `name`; `schema_ref` is the editor schema's path or URL,
    `checkpoint` the bundled model's path as the piece must write it (relative to the piece, or absolute)."""
    title = name.replace("_", " ").replace("-", " ").strip() or "new piece"
    head = _SCHEMA_LINE.format(ref=schema_ref) if schema_ref else ""
    model = checkpoint or "path/to/a/checkpoint   # a folder or .ckpt file, relative to this piece"
    return head + _STARTER.format(title=title, stem=name, checkpoint=model)
