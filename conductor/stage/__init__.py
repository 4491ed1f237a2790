"""The stage view and OSC: a web page the performer reads from a few metres away, and OSC in and out.

Layer: beside `conductor.live`, importing only `conductor.core`, the standard library, aiohttp and
python-osc; `conductor.live` builds the views and implements the commands (see docs/stage.md).

- `view`: the interface — `StageView` (a frozen snapshot), `StageCommands` (the sink for presses and
  parameter changes), `ViewBox` (the latest snapshot, handed from the engine thread to the servers).
- `server`: the web page and its websocket, in a thread of its own (`StageServer`).
- `osc_in`, `osc_out`, `osc_learn`: OSC mappings and receiver, the state sender, learning a mapping.
"""
