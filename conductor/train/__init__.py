"""Training SkyTNT-architecture models: data, batching, the loop, evaluation (`conductor train`).

A layer above the backends (it builds and trains their models), beside rehearse and live.
"""
