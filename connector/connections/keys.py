"""Secret-key rotation: re-encrypts every stored secret under the current key.

Set the new `BACKBONE_SECRET_KEY`, put the old one in `BACKBONE_OLD_SECRET_KEYS` (both decrypt
meanwhile), run `backbone connections rotate-keys`, then drop the old key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import HookSubscription, Install

if TYPE_CHECKING:
    from connector.runtime import Runtime

INSTALL_SECRETS = ("webhook_secret_encrypted", "access_token_encrypted", "refresh_token_encrypted",
                   "credentials_encrypted")


def rotate_secrets(rt: Runtime) -> int:
    """Re-encrypts connection tokens, credentials and webhook/hook secrets; returns how many values."""
    count = 0
    with rt.db.session() as session:
        for install in session.scalars(sa.select(Install).with_for_update()):
            for attr in INSTALL_SECRETS:
                value = getattr(install, attr)
                if value:
                    setattr(install, attr, rt.secrets.rotate(value))
                    count += 1
        for hook in session.scalars(sa.select(HookSubscription).with_for_update()):
            hook.secret_encrypted = rt.secrets.rotate(hook.secret_encrypted)
            count += 1
    return count
