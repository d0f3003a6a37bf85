"""Local stand-ins for the WeChat services we cannot reach: login (code2session) and Pay API v3.

They speak the real protocols (RSA-SHA256 request and response signatures, AES-256-GCM
encrypted notifications) with keys made at start, so tests and the development server
exercise our real clients end to end.  Plain ``http.server``; no Django.
"""

from .crypto import KeyPair, generate_keypair
from .server import FakeWeChat

__all__ = ["FakeWeChat", "KeyPair", "generate_keypair"]
