"""Ruleset administration: drafts, validation, dry-runs and publication.

A draft is a fund's next ruleset version; it may be replaced (If-Match on its ETag) until
it is published. Publishing makes it immutable, writes `fund.ruleset_published` to the
outbox and defers the rescoring of the fund's applications, all in the caller's
transaction. Dry-runs (`dryrun`) evaluate a draft beside the published version, in the background.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.eligibility import repository
from shared.eligibility import service as scoring
from shared.eligibility.documents import ruleset_faults
from shared.eligibility.errors import RulesetPublished
from shared.eligibility.models import RulesetStatus, RulesetVersion
from shared.eligibility.rescoring import rescore_jobs
from shared.eligibility.rules import Ruleset
from shared.eligibility.ruleset_errors import (
    RulesetFundMismatch,
    RulesetInvalid,
    RulesetSuperseded,
    RulesetVersionNotFound,
)
from shared.eligibility.ruleset_schemas import RulesetCheck
from shared.events.catalogue import EventType, FundRulesetPublishedData
from shared.events.service import new_event
from shared.funds import service as fund_service
from shared.funds.errors import FundNotFound
from shared.funds.models import Fund
from shared.jobs import defer_job
from shared.outbox import service as outbox_service
from shared.principal import Principal
from shared.schemas import ProblemFieldError

logger = logging.getLogger("tidi.eligibility")
FUND_URL = "/v1/funds/{code}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def etag_value(version: RulesetVersion) -> int:
    """The version's ETag: its last change in microseconds (a draft's content changes it)."""
    return (version.updated_at - _EPOCH) // _MICROSECOND


async def get_version(session: AsyncSession, fund_code: str, number: int) -> RulesetVersion:
    """One version of the fund's ruleset, or `RulesetVersionNotFound`."""
    fund = await fund_service.get(session, fund_code)
    return await _version(session, fund, number)


async def list_versions(session: AsyncSession, fund_code: str) -> list[RulesetVersion]:
    """The fund's ruleset versions, latest first."""
    fund = await fund_service.get(session, fund_code)
    return list(await repository.versions_of(session, fund.id))


async def create_draft(
    session: AsyncSession, principal: Principal, fund_code: str, ruleset: Ruleset
) -> RulesetVersion:
    """Store `ruleset` as the fund's next version, a draft; its `version` is assigned.

    Two drafts created at once for one fund collide on (fund, version): the second is a 409.
    """
    fund = await fund_service.get(session, fund_code)
    _check_fund(fund, ruleset)
    number = await repository.next_version_number(session, fund.id)
    version = RulesetVersion(
        id=uuid.uuid4(),
        fund_id=fund.id,
        version=number,
        status=RulesetStatus.DRAFT,
        definition=_definition(ruleset, number),
        created_by_key_id=principal.key_id,
    )
    session.add(version)
    await session.flush()
    await _audit(session, principal, fund, "fund.ruleset_draft_created", number)
    return version


async def replace_draft(
    session: AsyncSession,
    principal: Principal,
    fund_code: str,
    number: int,
    ruleset: Ruleset,
    *,
    if_match: int | None,
) -> RulesetVersion:
    """Replace a draft's definition (If-Match required); a published version is a 409."""
    fund = await fund_service.get(session, fund_code)
    version = await _version(session, fund, number, for_update=True)
    check_version(etag_value(version), if_match)
    _check_fund(fund, ruleset)
    scoring.revise_draft(version, ruleset.model_copy(update={"version": number}))
    version.updated_at = func.clock_timestamp()
    await session.flush()
    await session.refresh(version)
    await _audit(session, principal, fund, "fund.ruleset_draft_replaced", number)
    return version


async def check(session: AsyncSession, fund_code: str, number: int) -> RulesetCheck:
    """Validate a stored version with today's engine (it may have changed since)."""
    version = await get_version(session, fund_code, number)
    faults = ruleset_faults(version.definition)
    errors = [
        ProblemFieldError(pointer=_pointer(loc), detail=message, type=kind)
        for loc, message, kind in faults
    ]
    ruleset = None if faults else Ruleset.model_validate(version.definition)
    return RulesetCheck(
        fund_code=fund_code,
        version=number,
        valid=not faults,
        errors=errors,
        gates=len(ruleset.gates) if ruleset else 0,
        scores=len(ruleset.scores) if ruleset else 0,
        points_total=ruleset.points_total if ruleset else 0,
    )


async def publish(
    session: AsyncSession,
    principal: Principal,
    fund_code: str,
    number: int,
    *,
    if_match: int | None,
    now: datetime | None = None,
) -> RulesetVersion:
    """Publish a draft: immutable from now on, announced, and the fund rescored.

    Publications of one fund are serialised by locking the fund row; a draft numbered
    below the published version is refused (it would never be the current one).
    """
    fund = await _locked_fund(session, fund_code)
    version = await _version(session, fund, number, for_update=True)
    check_version(etag_value(version), if_match)
    if version.status is RulesetStatus.PUBLISHED:
        raise RulesetPublished(f"version {number} is already published")
    ruleset = valid_definition(version)
    current = await repository.latest_published(session, fund.id)
    if current is not None and current.version > version.version:
        raise RulesetSuperseded(
            f"version {current.version} is published; publish a new draft above it",
            published_version=current.version,
        )
    moment = now or datetime.now(UTC)
    version.definition = _definition(ruleset, number)
    version.status = RulesetStatus.PUBLISHED
    version.published_at = moment
    version.updated_at = func.clock_timestamp()
    await session.flush()
    await session.refresh(version)
    await _audit(session, principal, fund, "fund.ruleset_published", number)
    published = new_event(
        EventType.FUND_RULESET_PUBLISHED,
        FundRulesetPublishedData(
            id=fund.id,
            url=FUND_URL.format(code=fund.code),
            fund_code=fund.code,
            occurred_at=moment,
            sequence=version.version,
            ruleset_version=version.version,
            previous_version=current.version if current is not None else None,
        ),
        subject_type="fund",
        subject_id=fund.id,
        sequence=version.version,
        fund_id=fund.id,
        operator_id=fund.operator_id,
    )
    await outbox_service.record_event(session, published)
    for job in rescore_jobs(version.id):
        defer_job(session, job)
    return version


def _definition(ruleset: Ruleset, number: int) -> dict[str, object]:
    return ruleset.model_copy(update={"version": number}).model_dump(mode="json")


def _check_fund(fund: Fund, ruleset: Ruleset) -> None:
    if ruleset.fund_code != fund.code:
        raise RulesetFundMismatch(
            f"the document is for {ruleset.fund_code!r}, not {fund.code!r}",
            pointer="/body/fund_code",
        )


def valid_definition(version: RulesetVersion) -> Ruleset:
    """The version's document as a ruleset, or `RulesetInvalid` (today's engine refuses it)."""
    faults = ruleset_faults(version.definition)
    if faults:
        loc, message, _ = faults[0]
        raise RulesetInvalid(
            f"version {version.version} no longer validates ({len(faults)} fault(s)); first at "
            f"{_pointer(loc) or '/'}: {message}. The validate operation lists them all."
        )
    return Ruleset.model_validate(version.definition)


def _pointer(loc: tuple[str | int, ...]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(parts) if parts else ""


async def _version(
    session: AsyncSession, fund: Fund, number: int, *, for_update: bool = False
) -> RulesetVersion:
    version = await repository.get_version(session, fund.id, number, for_update=for_update)
    if version is None:
        raise RulesetVersionNotFound(f"{fund.code} has no ruleset version {number}")
    return version


async def _locked_fund(session: AsyncSession, code: str) -> Fund:
    fund = await session.scalar(select(Fund).where(Fund.code == code).with_for_update())
    if fund is None:
        raise FundNotFound(f"no fund with code {code!r}")
    return fund


async def _audit(
    session: AsyncSession, principal: Principal, fund: Fund, action: str, number: int
) -> None:
    await audit_service.record(
        session,
        principal,
        action=action,
        subject_type="fund",
        subject_id=fund.id,
        changes={"ruleset_version": number},
    )
