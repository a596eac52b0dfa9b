"""Label Studio: the labeling config, a local server, and a client for its API."""
