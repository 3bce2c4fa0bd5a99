"""``python -m aura.api``: serve the API where only the ``serve`` extra is installed (the Docker
image); see `aura.api.launch`."""

from aura.api.launch import main

raise SystemExit(main())
