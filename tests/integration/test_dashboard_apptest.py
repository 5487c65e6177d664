"""The dashboard's script run in-process (Streamlit AppTest) against a served API that then goes away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.support.served import Served, serve_api, service_token
from tests.support.workers import ROOT

pytestmark = pytest.mark.integration
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def api(migrated: Settings, tenants: Tenants) -> Iterator[Served]:
    served = serve_api(migrated).wait_ready()
    try:
        yield served
    finally:
        served.stop()


def _markdown(app: AppTest) -> str:
    return "\n".join(str(block.value) for block in app.markdown)


def test_overview_keeps_the_last_good_data_under_a_banner_when_the_api_goes_away(
    api: Served, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_DASHBOARD_API_URL", api.url)
    monkeypatch.setenv("ICP_DASHBOARD_API_KEY", service_token(migrated, "operator", "apptest"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    assert "Queue health: HEALTHY" in _markdown(app)
    assert [button.label for button in app.button][:1] == ["Pause the whole queue"]
    assert not app.error

    api.stop()
    app.run()
    assert not app.exception
    banners = [str(error.value) for error in app.error]
    assert banners and all("unreachable" in banner for banner in banners)
    assert any("Showing the last good data" in banner for banner in banners)
    assert "Queue health: HEALTHY" in _markdown(app)  # the last good answer is still on screen
