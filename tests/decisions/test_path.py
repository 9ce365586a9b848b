"""The whole life of an application, from submission to closing, as its three keys drive
it: the territory submits and answers, the region preselects, the operator instructs,
approves, pays and closes. Every step's event reaches the region's and the operator's
endpoints, signed, and is verified there with the Standard Webhooks library."""

from typing import Any

from sqlalchemy import select
from standardwebhooks import Webhook

from shared.audit.models import AuditEntry
from tests.decisions.conftest import APPROVAL, INFORMATION, TODAY, Keys
from tests.fixtures.bodies import friche_application
from tests.fixtures.flows import fetch
from tests.fixtures.http import assert_problem
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint

STEPS = [
    "application.submitted",
    "application.scored",
    "application.preselected",
    "application.under_review",
    "application.information_requested",
    "application.information_provided",
    "application.approved",
    "application.agreement_signed",
    "application.payment_recorded",
    "application.payment_recorded",
    "application.closed",
]


async def _step(
    keys: Keys, who: str, application: dict[str, Any], action: str, body: Any = None
) -> dict[str, Any]:
    """`who` sees `action` among its allowed actions, performs it, and gets the new view."""
    current = await fetch(keys[who], "applications", application["id"])
    assert action in current["allowed_actions"], (who, action, current["allowed_actions"])
    return await keys[who].act(current, "applications", action, json=body)


async def test_from_submission_to_closing_every_step_is_announced_and_audited(
    keys: Keys, client: Any, workers: Any, sessionmaker: Any
) -> None:
    region_receiver, operator_receiver = Receiver(), Receiver()
    async with serve(region_receiver) as region_hook, serve(operator_receiver) as operator_hook:
        region_endpoint = await create_endpoint(client, keys.keys["region"], region_hook.url)
        operator_endpoint = await create_endpoint(client, keys.keys["operator"], operator_hook.url)
        async with workers():
            team = keys["territory"]
            project = await team.active_project()
            draft = await team.draft_application(project, **friche_application())
            submitted = await team.act(draft, "applications", "submit")
            assert submitted["allowed_actions"] == ["withdraw"]

            async def screened() -> bool:
                current = await fetch(keys["admin"], "applications", submitted["id"])
                return current["status"] == "eligible"

            await wait_until(screened)
            application = await fetch(keys["region"], "applications", submitted["id"])
            assert application["allowed_actions"] == ["not_retained", "preselect"]
            # The operator instructs only once the region has preselected.
            operator_view = await fetch(keys["operator"], "applications", submitted["id"])
            assert operator_view["allowed_actions"] == []

            application = await _step(keys, "region", application, "preselect")
            application = await _step(
                keys, "operator", application, "start_review", {"assignee": "DDT 56"}
            )
            application = await _step(
                keys, "operator", application, "request_information", INFORMATION
            )
            assert application["information_request"]["items"] == INFORMATION["items"]
            assert application["information_overdue"] is False

            # The territory changes what the request names, and nothing else.
            current = await fetch(team, "applications", application["id"])
            assert current["allowed_actions"] == ["answer", "withdraw"]
            refused = await team.call(
                "PATCH",
                f"/v1/applications/{application['id']}",
                json={"requested_amount_cents": 1},
                headers={"If-Match": f'"{current["version"]}"'},
            )
            assert_problem(refused, 409)
            answers = {**current["answers"], "area_ha": 6}
            attachment = {
                "name": "plan-de-financement.pdf",
                "media_type": "application/pdf",
                "size_bytes": 18_000,
                "sha256": "0" * 64,
            }
            patched = await team.call(
                "PATCH",
                f"/v1/applications/{application['id']}",
                json={"answers": answers, "attachments": [attachment]},
                headers={"If-Match": f'"{current["version"]}"'},
                expect=200,
            )
            application = await _step(
                keys, "territory", patched.json(), "answer", {"message": "Complété."}
            )
            assert application["status"] == "under_review"
            assert application["information_request"]["answer"] == "Complété."

            application = await _step(keys, "operator", application, "approve", APPROVAL)
            assert application["awarded_cents"] == APPROVAL["amount_cents"]
            agreement = {"signed_on": TODAY.isoformat(), "reference": "CONV-56-0042"}
            application = await _step(keys, "operator", application, "sign_agreement", agreement)
            for tranche in (50_000_000, 40_000_000):
                payment = {"amount_cents": tranche, "paid_on": TODAY.isoformat()}
                application = await _step(keys, "operator", application, "record_payment", payment)
            application = await _step(keys, "operator", application, "close")
            assert application["status"] == "closed"
            assert application["allowed_actions"] == []

            def all_received() -> bool:
                return all(
                    len(receiver.received) >= len(STEPS)
                    for receiver in (region_receiver, operator_receiver)
                )

            await wait_until(all_received)

    for receiver, endpoint in (
        (region_receiver, region_endpoint),
        (operator_receiver, operator_endpoint),
    ):
        verifier = Webhook(endpoint["secret"])
        payloads = [verifier.verify(r.body, r.headers) for r in receiver.received]
        ordered = sorted(payloads, key=lambda p: p["data"]["sequence"])
        assert [p["type"] for p in ordered] == STEPS
        assert {p["data"]["id"] for p in ordered} == {application["id"]}
        paid = [p["data"]["paid_cents"] for p in ordered if p["type"].endswith("payment_recorded")]
        assert paid == [50_000_000, 90_000_000]

    # The region's events feed serves the same envelopes.
    feed = await keys["region"].call("GET", "/v1/events?limit=100", expect=200)
    assert [e["type"] for e in feed.json()["items"]] == STEPS

    async with sessionmaker() as session:
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_id == application["id"])
                .order_by(AuditEntry.occurred_at)
            )
        ).all()
    actors = [(e.action, e.actor_role, e.actor_key_id) for e in entries]
    ids = {who: key.id for who, key in keys.keys.items()}
    assert actors == [
        ("application.created", "territory", ids["territory"]),
        ("application.submit", "territory", ids["territory"]),
        ("application.screen", "system", None),
        ("application.mark_eligible", "system", None),
        ("application.preselect", "region", ids["region"]),
        ("application.start_review", "operator", ids["operator"]),
        ("application.request_information", "operator", ids["operator"]),
        ("application.updated", "territory", ids["territory"]),
        ("application.answer", "territory", ids["territory"]),
        ("application.approve", "operator", ids["operator"]),
        ("application.sign_agreement", "operator", ids["operator"]),
        ("application.record_payment", "operator", ids["operator"]),
        ("application.record_payment", "operator", ids["operator"]),
        ("application.close", "operator", ids["operator"]),
    ]
