"""Running the API with uvicorn."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from pingan.api.app import create_app
from pingan.errors import BadInput


def serve(db: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the workbench on ``db`` until interrupted."""
    if not Path(db).exists():
        raise BadInput(f"There is no pingan store at {db}; import data first, or run `make demo`.")
    app = create_app(Path(db))
    click.echo(f"pingan is serving {db} at http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
