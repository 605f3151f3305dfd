import pytest


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $GLASSNET_DATA, and a home folder of our own (so ~/.glassnet/data is empty)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    return tmp_path
