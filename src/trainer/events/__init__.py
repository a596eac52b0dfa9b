"""Event records derived from predicted documents, with victim counts read as numbers."""
