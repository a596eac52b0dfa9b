"""Whole-article prediction with a trained model."""
