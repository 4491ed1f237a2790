"""The limits a piece file is read under, and the musical bounds of its numbers and times.

Every limit is far above a real piece (pieces/mark_sat.yaml: 6 KB, 7 levels deep, no aliases) and far
below what could hurt a performance: a hostile or broken file is refused quickly, with an error that
names the limit, instead of taking seconds of CPU or gigabytes of memory.
"""

from __future__ import annotations

MAX_BYTES = 1_000_000  # a piece file; a 10,000-section running order is ~450 KB
MAX_DEPTH = 64  # nesting of YAML mappings and lists (a piece needs ~7)
MAX_NODES = 250_000  # keys, values and list items written (10,000 one-line sections: 70,000)
MAX_ALIAS_NODES = 100_000  # values that aliases (*name, <<: *name) may add in all ("billion laughs")
MAX_NUMBER_DIGITS = 40  # a longer number is out of every range: read as infinity, reported as such

TEMPO_BPM = (20.0, 400.0)
MAX_AMOUNT = 1_000_000.0  # the number in '8 bars' (before the tempo turns it into seconds)
MAX_SECONDS = 4 * 3600.0  # any time: a section, a window, a cadence
MIN_CADENCE_S = 0.1  # `cadence.every`: answering more often than this only queues requests
MIN_TIME_S = 0.001  # every other time (a chord window of 1 ms is still a time)
MAX_NOTES = 4096  # a window counted in notes (as many as `listen.max_events` allows)
MAX_SEED = 2**32 - 1  # random seeds (numpy and torch take 32 bits)

PARSE_TIMEOUT_S = 30.0  # the parser process: a piece taking longer is refused (10,000 sections: ~5 s)
PARSE_MEMORY_MB = 1024  # the parser process's address space (RLIMIT_AS)
