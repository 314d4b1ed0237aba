"""Who may do what: the one permission table (treeherder-domain.md §6.3), checked in one place.

Reads are public. Any signed-in user (or a token with the classify scope) classifies, deletes
notes, links and unlinks bugs and marks investigated tests; clearing a whole push needs the
sheriff group. Tokens are managed from a browser session only, so a leaked token cannot mint
more tokens or outlive its own revocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from apps.accounts.identity import Principal, Via
from apps.accounts.models import ApiToken


class Action(StrEnum):
    CLASSIFY = "classify"
    DELETE_NOTE = "delete_note"
    LINK_BUG = "link_bug"
    UNLINK_BUG = "unlink_bug"
    CLEAR_PUSH_CLASSIFICATIONS = "clear_push_classifications"
    MARK_INVESTIGATED = "mark_investigated"
    UNMARK_INVESTIGATED = "unmark_investigated"
    MANAGE_TOKENS = "manage_tokens"


@dataclass(frozen=True)
class Rule:
    # The token scope needed (sessions have every scope).
    scope: str | None = ApiToken.Scope.CLASSIFY
    sheriff: bool = False
    session_only: bool = False


PERMISSIONS: Final[Mapping[Action, Rule]] = {
    Action.CLASSIFY: Rule(),
    Action.DELETE_NOTE: Rule(),
    Action.LINK_BUG: Rule(),
    Action.UNLINK_BUG: Rule(),
    Action.MARK_INVESTIGATED: Rule(),
    Action.UNMARK_INVESTIGATED: Rule(),
    Action.CLEAR_PUSH_CLASSIFICATIONS: Rule(sheriff=True),
    Action.MANAGE_TOKENS: Rule(scope=None, session_only=True),
}


class NotAllowed(Exception):
    """Refused. `code` is UNAUTHENTICATED (sign in first), CSRF_FAILED or FORBIDDEN."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def authorise(principal: Principal, action: Action) -> None:
    rule = PERMISSIONS[action]
    if not principal.is_authenticated:
        raise NotAllowed("UNAUTHENTICATED", f"Sign in or send an API token to {action.value.replace('_', ' ')}.")
    if principal.via == Via.SESSION and not principal.csrf_ok:
        raise NotAllowed(
            "CSRF_FAILED", "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
        )
    if rule.session_only and principal.via != Via.SESSION:
        raise NotAllowed("FORBIDDEN", "This needs a signed-in browser session; API tokens cannot do it.")
    if rule.scope is not None and rule.scope not in principal.scopes:
        raise NotAllowed("FORBIDDEN", f"This API token lacks the {rule.scope!r} scope.")
    if rule.sheriff and not principal.is_sheriff:
        raise NotAllowed("FORBIDDEN", "Only sheriffs may do this.")
