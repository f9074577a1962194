"""Generating songs from a trained model: sampling, export (URL, JSON, MIDI), evaluation."""
