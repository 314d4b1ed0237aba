"""Settings for the Daphne processes of the sheriffing tests: the real token authenticator (not
the live tests' demonstration one) and a re-check of open connections every second."""

from tests.support.live_settings import *  # noqa: F403

LIVE_CONNECTION_AUTHENTICATOR = "server.ws.tokens.authenticate"
LIVE_REAUTH_SECONDS = 1.0
