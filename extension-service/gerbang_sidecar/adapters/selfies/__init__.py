"""Selfie inspection: decoding with Pillow, face detection with OpenCV."""
