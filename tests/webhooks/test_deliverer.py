"""The deliverer's database cost: one statement per attempt, which also claims the next."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import text

from shared.db.engine import create_engine
from shared.jobs import JobRequest
from shared.settings import Settings
from shared.webhooks.deliverer import Deliverer
from shared.webhooks.policy import DeliveryPolicy
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.sender import Sender
from tests.e2e.test_webhook_faults import emit
from tests.fixtures.builders import Key
from tests.fixtures.database import statements_sent
from tests.fixtures.receiver import Receiver, serve
from tests.webhooks.conftest import create_endpoint, scalar


async def _no_jobs(jobs: Sequence[JobRequest]) -> None:
    assert not jobs, jobs


class TestRoundTrips:
    async def test_a_lane_sends_one_statement_per_attempt(
        self, client: Any, operator_key: Key, sessionmaker: Any, test_settings: Settings
    ) -> None:
        async with serve(Receiver()) as receiver:
            endpoint = await create_endpoint(client, operator_key, receiver.url)
            await emit(sessionmaker, test_settings, 5)
            async with sessionmaker() as session:  # a recent success: no health write is due
                await session.execute(
                    text("UPDATE webhook_endpoints SET last_success_at = now() WHERE id = :id"),
                    {"id": endpoint["id"]},
                )
                await session.commit()
            first = await scalar(
                sessionmaker,
                "SELECT id FROM webhook_deliveries WHERE endpoint_id = :id ORDER BY position "
                "LIMIT 1",
                id=endpoint["id"],
            )
            engine = create_engine(test_settings)
            sender = Sender(httpx.AsyncClient(), SecretBox.from_settings(test_settings), 1.0)
            # One lane throughout: a second one (opened when an answer takes longer than
            # `lane_split_after`, as on a loaded machine) would claim on its own.
            policy = replace(DeliveryPolicy.from_settings(test_settings), lane_split_after=60)
            deliverer = Deliverer(engine, sender, policy, _no_jobs)
            try:
                with statements_sent(engine) as statements:
                    sent = await deliverer.run(first, uuid.UUID(endpoint["id"]), 1)
            finally:
                await deliverer.aclose()
                await engine.dispose()
        assert sent == 5
        assert len(set(receiver.ids())) == 5
        # The endpoint's cap, the job's claim, then per attempt one statement that records
        # it and claims the next delivery (the last one finds none).
        assert len(statements) == 2 + 5, statements
        succeeded = await scalar(
            sessionmaker,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = :id "
            "AND status = 'succeeded'",
            id=endpoint["id"],
        )
        assert succeeded == 5
