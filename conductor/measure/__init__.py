"""Measuring, not performing: code only `conductor model bench`, bench/ and tests run.

`skytnt_reference` is the upstream-style generation loop (the whole context through `transformers`
on every event), kept to compare against and to check conductor's `Decoder` against; `skytnt_speed`
times both. Nothing in the runtime path (engine, backends, live) imports this package.
"""
