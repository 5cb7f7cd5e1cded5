"""Repository-wide pytest setup: the harness plugin is loaded through its ``pytest11`` entry point."""

pytest_plugins = ["pytester"]
