"""Live performance: real MIDI ports, the model in a worker process, the clock thread, hot reload,
the take recorder and the stage display, wired together by `conductor.live.perform`."""
