"""Model backends: the SkyTNT transformer, the Markov model, and a scripted model for tests."""
