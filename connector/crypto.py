"""Digests and encryption for secrets at rest (tokens hashed, webhook secrets encrypted)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def digest(value: str) -> str:
    """SHA-256 hex digest: how tokens, codes and client secrets are stored.

    They are 256-bit random values, so a fast digest is enough (no KDF needed).
    """
    return hashlib.sha256(value.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    """A new random URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Compares in constant time; str is compared as UTF-8 (compare_digest refuses non-ASCII str)."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


def _fernet_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"backbone-secrets-v1").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


class SecretBox:
    """Encrypts secrets with a key derived from the app's secret key.

    Decryption also accepts keys derived from previous secret keys, so the secret key can be
    rotated; `rotate()` re-encrypts a value under the current key.
    """

    def __init__(self, secret_key: str, previous: list[str] | None = None) -> None:
        keys = [secret_key, *(previous or [])]
        self._fernet = MultiFernet([Fernet(_fernet_key(k)) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()
