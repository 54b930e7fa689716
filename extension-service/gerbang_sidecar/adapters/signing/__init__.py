"""PDF signing on pyHanko (X7)."""
