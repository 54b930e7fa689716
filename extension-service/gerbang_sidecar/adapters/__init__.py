"""One module per outside system behind a small interface, each with a fake twin."""
