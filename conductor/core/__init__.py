"""Core value types shared by every stage: notes, sources, time spans and the timebase."""
