"""The engine: listens, decides when to answer, asks a model, filters and schedules its notes."""
