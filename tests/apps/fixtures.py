"""The shop app as a pytest fixture.

A test module imports the fixture to use it (pytest finds fixtures by name in the module's namespace)::

    from tests.apps.fixtures import shop_app  # noqa: F401

    def test_something(shop_app: ShopApp) -> None:  # noqa: F811
        url = shop_app.base_url + "/login"
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.apps.shop_app import ShopApp


@pytest.fixture(scope="session")
def shop_app() -> Iterator[ShopApp]:
    """The shop app on a free loopback port, shared by the session: one server, many sessions (one per cookie jar).

    ``shop_app.base_url`` is where it listens; ``shop_app.requests`` keeps growing for the whole session, so a
    test that reads it looks only at what came after its own start (``len(shop_app.requests)`` before it acts).
    """
    with ShopApp() as app:
        yield app
