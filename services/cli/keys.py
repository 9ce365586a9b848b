"""`tidi keys`: API keys, and the demo admin key of `tidi dev`."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from services.cli.common import console, database_session, embedded_if_needed, fresh_settings
from shared.principal import Role
from shared.settings import Settings

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
DEMO_KEY_FILE = "demo-admin-key"


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[
        Role, typer.Option(help="admin, territory, operator, region or observer.")
    ] = Role.ADMIN,
    territory: Annotated[str | None, typer.Option(help="Territory code (territory keys).")] = None,
    operator: Annotated[str | None, typer.Option(help="Operator code (operator keys).")] = None,
    region: Annotated[str | None, typer.Option(help="INSEE region code (region keys).")] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Expiry, in days.")] = None,
) -> None:
    """Create an API key and print its secret (shown once)."""
    settings = fresh_settings()
    servers = embedded_if_needed(settings)
    try:
        secret = asyncio.run(
            create_key(
                fresh_settings(), name, role, territory, operator, expires_in_days, region=region
            )
        )
    finally:
        servers.stop()
    console.print(
        f"[green]Created {role.value} key {name!r}. Store it now, it will not be shown again:[/]"
    )
    typer.echo(secret)


async def create_key(
    settings: Settings,
    name: str,
    role: Role,
    territory_code: str | None,
    operator_code: str | None,
    expires_in_days: int | None,
    *,
    region: str | None = None,
) -> str:
    """Create a key and return its secret; a bad territory, operator or region is a usage
    error."""
    from shared.auth import service as auth_service
    from shared.auth.schemas import ApiKeyCreate
    from shared.errors import TidiError
    from shared.principal import SYSTEM
    from shared.territories import repository as territory_repository

    async with database_session(settings) as session:
        territory_id = None
        if territory_code is not None:
            territory = await territory_repository.get_by_code(session, territory_code)
            if territory is None:
                raise typer.BadParameter(f"no territory with code {territory_code!r}")
            territory_id = territory.id
        expires_at = (
            datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        )
        try:
            _, secret = await auth_service.create_key(
                session,
                SYSTEM,
                ApiKeyCreate(
                    name=name,
                    role=role,
                    territory_id=territory_id,
                    operator_code=operator_code,
                    region_code=region,
                    expires_at=expires_at,
                ),
            )
        except TidiError as error:
            raise typer.BadParameter(error.detail) from None
        await session.commit()
        return secret


async def demo_admin_key(settings: Settings) -> str:
    """The demo admin key kept in VAR_DIR, recreated if missing or no longer valid."""
    from shared.auth import service as auth_service
    from shared.auth.errors import InvalidApiKey

    path = settings.VAR_DIR / DEMO_KEY_FILE
    if path.exists():
        async with database_session(settings) as session:
            secret = path.read_text().strip()
            with contextlib.suppress(InvalidApiKey):
                await auth_service.authenticate(session, secret, touch_interval=timedelta(0))
                await session.commit()
                return secret
    secret = await create_key(settings, "Demo admin (tidi dev)", Role.ADMIN, None, None, None)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret
