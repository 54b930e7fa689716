"""Uploaded documents: the PDF inspector (pdf.py)."""
