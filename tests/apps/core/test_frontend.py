"""The job view's page at / and /jobs: the built index with the page's settings, never cached."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/jobs", "/jobs?repo=try&selectedJob=12"])
def test_the_job_view_page_is_served_at_its_client_routes(path: str) -> None:
    response = Client().get(path, HTTP_HOST="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    html = response.content.decode()
    config = re.search(r'<script id="th-config" type="application/json">(.*?)</script>', html)
    assert config is not None
    assert json.loads(config.group(1)) == {"bugzillaUrl": "https://bugzilla.mozilla.org"}
    assets = re.findall(r'(?:src|href)="/static/(app/assets/[^"]+)"', html)
    assert len(assets) == 2  # the script and the stylesheet, hashed
    for asset in assets:
        assert finders.find(asset), asset


def test_the_page_settings_cannot_close_their_script_element(settings: Any) -> None:
    from apps.core import frontend

    settings.BUGZILLA_URL = "https://bugs.example.org/</script><script>alert(1)</script>"
    html = frontend.index_html() or ""

    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_writes_are_refused() -> None:
    assert Client().post("/", HTTP_HOST="127.0.0.1").status_code == 405
