"""A scripted OpenAI-compatible server on 127.0.0.1 per test (real HTTP, real `openai` client)."""

import pytest

from vqa.annotate.testing import ScriptedServer


@pytest.fixture
def scripted():
    """scripted(**kwargs) → a started ScriptedServer; all are stopped after the test."""
    servers = []

    def start(**kwargs):
        servers.append(ScriptedServer(**kwargs).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()
