"""``python -m aura.cli``: the ``aura`` command where its console script is not on the path."""

from aura.cli import app

app()
