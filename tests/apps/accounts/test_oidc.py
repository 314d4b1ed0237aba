"""OpenID Connect sign-in against a local test provider, through a real Daphne: the browser is sent
to the provider, comes back with a code, the server exchanges it (token and userinfo endpoints
served here), and the session then acts as `mozilla-ldap/<email>`, a sheriff if the groups claim
says so. What is not tested: RS256 with a JWKS endpoint (the provider signs HS256 with the client
secret, which mozilla-django-oidc supports the same way), and Auth0 itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from tests.support.processes import run_daphne

pytestmark = [pytest.mark.slow]

CLIENT_ID = "treeherder-test"
CLIENT_SECRET = "a-test-client-secret-that-is-long-enough"
GROUPS = "https://sso.mozilla.com/claim/groups"
ME = "{ me { username isSheriff via } }"


class Provider:
    """Token and userinfo endpoints of a minimal OIDC provider, answering for the next sign-in."""

    def __init__(self) -> None:
        self.nonce = ""
        self.claims: dict[str, Any] = {}
        self.audience = CLIENT_ID
        self.token_requests: list[dict[str, list[str]]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = parse_qs(self.rfile.read(length).decode())
                provider.token_requests.append(form)
                now = int(time.time())
                id_token = jwt.encode(
                    {
                        "iss": "http://provider",
                        "aud": provider.audience,
                        "iat": now,
                        "exp": now + 300,
                        "nonce": provider.nonce,
                        **provider.claims,
                    },
                    CLIENT_SECRET,
                    algorithm="HS256",
                )
                self._json({"id_token": id_token, "access_token": "access-123", "token_type": "Bearer"})

            def do_GET(self) -> None:
                assert self.headers["Authorization"] == "Bearer access-123"
                self._json({"sub": provider.claims["sub"], "email": provider.claims["email"]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        return {
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.url}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.url}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.url}/userinfo",
            "OIDC_RP_SIGN_ALGO": "HS256",
        }


@pytest.fixture
def provider() -> Iterator[Provider]:
    found = Provider()
    yield found
    found.server.shutdown()


def _sign_in(base: str, provider: Provider, claims: dict[str, Any], *, status: int = 302) -> requests.Session:
    browser = requests.Session()
    login = browser.get(f"{base}/accounts/login/", allow_redirects=False, timeout=30)
    assert login.status_code == 302 and login.headers["Location"] == "/accounts/oidc/authenticate/"
    start = browser.get(f"{base}{login.headers['Location']}", allow_redirects=False, timeout=30)
    authorize = urlparse(start.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{provider.url}/authorize"
    assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
    provider.nonce, provider.claims = params["nonce"], claims
    # The provider sends the browser back with a code.
    back = browser.get(
        f"{base}/accounts/oidc/callback/",
        params={"code": "code-1", "state": params["state"]},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == status, back.text
    return browser


def _me(base: str, browser: requests.Session) -> Any:
    response = browser.post(f"{base}/graphql", json={"query": ME}, timeout=30)
    return response.json()["data"]["me"]


def test_oidc_sign_in_with_the_sheriff_role_from_the_groups_claim(
    transactional_db: None, tmp_path: Path, provider: Provider
) -> None:
    alice = {"sub": "ad|Mozilla-LDAP|alice", "email": "alice@example.com"}
    with run_daphne(tmp_path, env=provider.env()) as daphne:
        first = _me(daphne.url, _sign_in(daphne.url, provider, {**alice, GROUPS: ["sheriff", "staff"]}))
        renewal = _me(daphne.url, _sign_in(daphne.url, provider, alice))  # silent renewals omit the claim
        demoted = _me(daphne.url, _sign_in(daphne.url, provider, {**alice, GROUPS: ["staff"]}))
        provider.audience = "another-client"
        eve = {"sub": "x", "email": "eve@example.com"}
        stranger = _me(daphne.url, _sign_in(daphne.url, provider, eve, status=400))

    assert first == {"username": "mozilla-ldap/alice@example.com", "isSheriff": True, "via": "session"}
    assert renewal == first
    assert demoted == {"username": "mozilla-ldap/alice@example.com", "isSheriff": False, "via": "session"}
    assert stranger is None  # an ID token for another client signs nobody in
    assert provider.token_requests[0]["client_id"] == [CLIENT_ID]
    assert provider.token_requests[0]["code"] == ["code-1"]
