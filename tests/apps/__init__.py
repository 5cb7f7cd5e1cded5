"""Real web applications the harness's tests run scenarios against (see :mod:`tests.apps.shop_app`)."""
