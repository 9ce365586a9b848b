"""`tidi`: run the service (embedded or configured), migrate, seed, manage keys."""

import typer

from services.cli import demo, keys, running, seeding

app = typer.Typer(
    help="tidi — Territoires d'industrie: projects, funds, scoring, webhooks.",
    no_args_is_help=True,
)
app.command()(seeding.migrate)
app.command()(running.dev)
app.command()(running.serve)
app.command()(running.worker)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(seeding.seed_app, name="seed")
app.add_typer(demo.demo_app, name="demo")


def main() -> None:  # pragma: no cover - console entry point
    """Console entry point."""
    app()
