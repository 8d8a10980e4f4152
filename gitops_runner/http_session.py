"""The requests session for a URL the tool talks to (RunPod, its proxy, GitHub)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def http_session(url: str) -> requests.Session:
    """A server on this machine (the sandbox's simulator and its pod proxy) is reached
    directly: the environment's proxy settings must not carry its requests (an HTTP_PROXY
    without a NO_PROXY for 127.0.0.1 would), and requests then skips its per-request
    look-ups of proxies and .netrc. Any other host keeps the environment's settings."""
    session = requests.Session()
    session.trust_env = urlsplit(url).hostname not in LOOPBACK
    return session
