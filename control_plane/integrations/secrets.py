"""Provider credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from settings locally and from a secrets manager in production;
plaintext exists only in memory while a client talks to the provider.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretDecryptionError(Exception):
    """Stored ciphertext does not open with the configured key (rotated or corrupt)."""


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise SecretDecryptionError("the stored credential cannot be decrypted with the configured key") from exc
