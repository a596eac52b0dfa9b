"""From documents to model inputs: token windows with aligned labels, and batches."""
