"""Secrets we must be able to read back (a reader's Zotero API key), encrypted at rest.

Fernet (AES-CBC with an HMAC-SHA256 tag, from `cryptography`) under a key derived from SECRET_KEY with
HKDF, so there is no second secret to provision and lose. Decryption also tries SECRET_KEY_FALLBACKS:
rotating SECRET_KEY the way Django documents it (old key into the fallbacks) keeps the stored secrets
readable, and `encrypt` always writes under the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class UndecryptableSecret(Exception):
    """The token was not made under SECRET_KEY or any of its fallbacks (or was tampered with)."""


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=SHA256(), length=32, salt=b"paperswipe.encryption", info=b"stored secrets").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret) for secret in secrets])


def encrypt(plaintext: str) -> str:
    return _keys().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise UndecryptableSecret("the stored secret cannot be decrypted with SECRET_KEY or its fallbacks") from error
