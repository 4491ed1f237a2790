"""The SkyTNT midi-model backend: tokenizers, MIDI scores, the model and its generation.

`get_tokenizer("v1" | "v2" | "v2o")` gives a tokenizer whose token rows match SkyTNT's own;
`conductor.backends.skytnt.midi_score` reads and writes MIDI files as MIDI.py "scores".
"""

from conductor.backends.skytnt.tokenizer import (
    MIDITokenizerV1,
    MIDITokenizerV2,
    SkyTNTTokenizer,
    from_config_dict,
    get_tokenizer,
)

__all__ = ["MIDITokenizerV1", "MIDITokenizerV2", "SkyTNTTokenizer", "from_config_dict", "get_tokenizer"]
