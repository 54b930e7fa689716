"""The captcha's proof of work: ALTCHA (altcha.py)."""
