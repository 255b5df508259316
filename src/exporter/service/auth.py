"""Identity from a JWT: reading the bearer token, issuing tokens, the local signing key.

HS256 uses a shared secret; EdDSA and RS256 verify with a public key (the archive's login signs
with the private key).  ``sub``, ``exp``, ``iss`` and ``aud`` are required and checked; only the
configured algorithm is accepted, so a token with ``alg: none`` or another algorithm is refused.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .config import Config

KEY_FILE = "signing.key"
#: Verified tokens remembered (see :class:`Verifier`); the memory is emptied when full.
VERIFIED_TOKENS = 4096


class TokenError(Exception):
    """The token is malformed, expired, wrongly signed or meant for someone else (401)."""


@dataclass(frozen=True)
class Identity:
    """Who is asking: a reader's name from the token's ``sub``, or anonymous (``None``)."""

    user: str | None = None

    @property
    def key(self) -> str:
        """The reader's name for quotas and the audit log (anonymous readers share one)."""
        return self.user or "(anonymous)"


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"[auth] {what} {path}: cannot read it ({exc.strerror or exc})") from None


def shared_secret(config: Config, create: bool = True) -> bytes:
    """The HS256 secret: configured, from a file, or created on first use in the state folder."""
    if config.auth.secret:
        return config.auth.secret.encode()
    if config.auth.secret_file:
        return _read(config.auth.secret_file, "secret_file").strip()
    path = config.state_path / KEY_FILE
    if not path.exists():
        if not create:
            raise UsageError(f"no signing key yet at {path}: start `exporter serve` or give [auth] secret_file")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with mode 0600 in one step, and never overwritten: a second process racing to
        # create it reads the first one's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise UsageError(f"signing key {path} is too short (under 32 bytes)")
    return key


def verifying_key(config: Config):
    if config.auth.algorithm == "HS256":
        return shared_secret(config)
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        return load_pem_public_key(_read(config.auth.public_key_file, "public_key_file"))
    except ValueError as exc:
        raise UsageError(f"[auth] public_key_file: not a PEM public key ({exc})") from None


def signing_key(config: Config):
    if config.auth.algorithm == "HS256":
        return shared_secret(config)
    if not config.auth.private_key_file:
        raise UsageError(f"[auth] algorithm {config.auth.algorithm}: tokens are signed by the archive's "
                         f"login; give private_key_file to sign them here")
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(_read(config.auth.private_key_file, "private_key_file"), password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"[auth] private_key_file: not an unencrypted PEM private key ({exc})") from None


def issue(config: Config, user: str, ttl: int | None = None) -> str:
    """A token for ``user``, valid for ``ttl`` seconds (the configured default when ``None``)."""
    import jwt

    user = user.strip()
    if not user:
        raise UsageError("--user: give a reader's name")
    ttl = config.auth.default_ttl if ttl is None else ttl
    if ttl <= 0:
        raise UsageError("--ttl must be positive")
    now = int(time.time())
    claims = {"sub": user, "iss": config.auth.issuer, "aud": config.auth.audience,
              "iat": now, "exp": now + ttl}
    return jwt.encode(claims, signing_key(config), algorithm=config.auth.algorithm)


class Verifier:
    """Checks bearer tokens against the configured key, algorithm, issuer and audience."""

    def __init__(self, config: Config) -> None:
        import jwt

        self._jwt = jwt
        self.config = config
        self.key = verifying_key(config)
        #: token -> (reader, expiry) of tokens that verified: a client sends the same token on
        #: every request, and checking its signature again costs more than the rest of a small
        #: request.  Only the expiry can change a verified token's answer (``nbf`` and ``iat``
        #: once passed stay passed), so a hit checks the expiry again.
        self._verified: dict[str, tuple[Identity, float]] = {}

    def identity(self, authorization: str | None) -> Identity:
        """The reader named by an ``Authorization`` header; anonymous when there is none."""
        if authorization is None:
            return Identity(None)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:  # as PyJWT: expired once exp <= now - leeway
                return known[0]
            self._verified.pop(token, None)
        jwt = self._jwt
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[self.config.auth.algorithm],
                audience=self.config.auth.audience, issuer=self.config.auth.issuer,
                leeway=self.config.auth.leeway,
                options={"require": ["sub", "exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise TokenError("the token is meant for another audience") from None
        except jwt.InvalidIssuerError:
            raise TokenError("the token comes from another issuer") from None
        except jwt.InvalidSignatureError:
            raise TokenError("the token's signature does not verify") from None
        except jwt.InvalidAlgorithmError:
            raise TokenError(f"the token is not signed with {self.config.auth.algorithm}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"the token lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is not valid ({' '.join(str(exc).split())[:120]})") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip() or len(sub) > 200:
            raise TokenError("the token's 'sub' must name a reader")
        identity = Identity(sub)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = (identity, float(claims["exp"]) + self.config.auth.leeway)
        return identity
