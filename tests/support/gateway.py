"""Messages the fake message gateway took (SMS, WhatsApp), read as a phone would."""

from __future__ import annotations

import re
import time

import requests


def wait_for_message(fake_registry_url: str, to: str, timeout: float = 15.0) -> str:
    """The newest gateway message to ``to`` (the fake gateway keeps them)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = requests.get(f"{fake_registry_url}/gateway/messages", params={"to": to},
                             timeout=5)
        reply.raise_for_status()
        messages = reply.json()["messages"]
        if messages:
            return str(messages[0]["text"])
        if time.monotonic() > deadline:
            raise AssertionError("no SMS arrived at the fake gateway")
        time.sleep(0.2)


def first_link(text: str) -> str:
    found = re.search(r"https?://\S+", text)
    assert found, text
    return found.group(0)


def wait_for_sms(fake_registry_url: str, to: str, timeout: float = 15.0) -> str:
    return wait_for_message(fake_registry_url, to, timeout)


def whatsapp_code(fake_registry_url: str, to: str, timeout: float = 15.0) -> str:
    """The 6-digit code of the newest message to ``to`` (B2)."""
    found = re.search(r"\b(\d{6})\b", wait_for_message(fake_registry_url, to, timeout))
    assert found
    return found.group(1)
