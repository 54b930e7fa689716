"""What every portal's self-registration shares: making the account (accounts.py)."""
