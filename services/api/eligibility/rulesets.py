"""Ruleset administration (admins): drafts, validation, dry-runs, publication, rescoring."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from services.api.deps import AdminOnly, IfMatchDep, SessionDep
from services.api.etag import with_etag
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.eligibility import dryrun, rescoring, rulesets, views
from shared.eligibility.documents import RulesetDocument
from shared.eligibility.ruleset_schemas import (
    RULESET_EXAMPLE,
    DryRunRead,
    RescoreProgress,
    RescoreStarted,
    RulesetCheck,
    RulesetVersionList,
    RulesetVersionRead,
)

router = APIRouter(
    prefix="/v1/funds/{fund_code}/rulesets", tags=["eligibility"], route_class=TidiRoute
)
FundCode = Annotated[str, Path(max_length=64, description="Fund code.")]
Version = Annotated[
    int, Path(ge=1, le=1_000_000, description="Ruleset version number.", examples=[2])
]
DryRunId = Annotated[
    uuid.UUID, Path(description="The dry-run's id (from the `Location` of its start).")
]
Document = Annotated[
    RulesetDocument,
    Body(
        description=(
            "The ruleset document: criteria (gates and scores) over parameters. Its "
            "`fund_code` must be the fund's; `version` is assigned by the server."
        ),
        examples=[RULESET_EXAMPLE],
    ),
]


def _dry_run_location(fund_code: str, version: int, dry_run_id: uuid.UUID) -> str:
    return f"/v1/funds/{fund_code}/rulesets/{version}/dry-runs/{dry_run_id}"


def _location(fund_code: str, version: int) -> str:
    return f"/v1/funds/{fund_code}/rulesets/{version}"


@router.post(
    "",
    summary="Create a ruleset draft",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
)
async def create_ruleset_draft(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    body: Document,
    response: Response,
) -> RulesetVersionRead:
    """Store a ruleset document as the fund's next version, a draft. The engine validates
    it: each fault is a 422 error located by its JSON pointer (`/body/criteria/3/expr`).
    """
    version = await rulesets.create_draft(session, principal, fund_code, body)
    with_etag(
        response, rulesets.etag_value(version), location=_location(fund_code, version.version)
    )
    return views.version_read(version, fund_code)


@router.get("", summary="List ruleset versions")
async def list_ruleset_versions(
    _: AdminOnly, session: SessionDep, fund_code: FundCode
) -> RulesetVersionList:
    """The fund's ruleset versions, latest first (drafts and published)."""
    versions = await rulesets.list_versions(session, fund_code)
    return RulesetVersionList(items=[views.version_summary(v, fund_code) for v in versions])


@router.get("/{version}", summary="Get a ruleset version")
async def get_ruleset_version(
    _: AdminOnly, session: SessionDep, fund_code: FundCode, version: Version, response: Response
) -> RulesetVersionRead:
    """One version with its definition; its `ETag` is needed to replace or publish it."""
    found = await rulesets.get_version(session, fund_code, version)
    with_etag(response, rulesets.etag_value(found))
    return views.version_read(found, fund_code)


@router.put("/{version}", summary="Replace a ruleset draft", responses=problems(409, 412, 428))
async def replace_ruleset_draft(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    version: Version,
    body: Document,
    expected: IfMatchDep,
    response: Response,
) -> RulesetVersionRead:
    """Replace a draft's document (send `If-Match`); a published version is a 409."""
    found = await rulesets.replace_draft(
        session, principal, fund_code, version, body, if_match=expected
    )
    with_etag(response, rulesets.etag_value(found))
    return views.version_read(found, fund_code)


@router.post("/{version}/validate", summary="Validate a ruleset version")
async def validate_ruleset(
    _: AdminOnly, session: SessionDep, fund_code: FundCode, version: Version
) -> RulesetCheck:
    """Validate a stored version with the engine as it is today; every fault is listed
    with its JSON pointer into the definition. Nothing is written.
    """
    return await rulesets.check(session, fund_code, version)


@router.post(
    "/{version}/dry-run",
    summary="Start a dry-run of a ruleset draft",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(409, 422),
)
async def start_ruleset_dry_run(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    version: Version,
    response: Response,
) -> DryRunRead:
    """Evaluate the draft (as it is now) and the published version over every submitted
    application of the fund, in the background: the answer is the result resource
    (`Location`), which fills batch by batch; read it until `state` is `completed` for the
    report (outcome changes, points deltas, the applications concerned). Nothing else is
    stored. Results are kept 7 days after they complete (7 days after they start if they
    never do), then purged.
    """
    started = await dryrun.start(session, principal, fund_code, version)
    response.headers["Location"] = _dry_run_location(fund_code, version, started.id)
    return started


@router.get(
    "/{version}/dry-runs/{dry_run_id}", summary="Get a ruleset dry-run", responses=problems(404)
)
async def get_ruleset_dry_run(
    _: AdminOnly, session: SessionDep, fund_code: FundCode, version: Version, dry_run_id: DryRunId
) -> DryRunRead:
    """A dry-run's state and progress (done out of total) and, once completed, its report.
    A result is kept 7 days after it completes (7 days after it started if it never does);
    an expired one is a 404.
    """
    return await dryrun.get(session, fund_code, version, dry_run_id)


@router.post(
    "/{version}/publish", summary="Publish a ruleset draft", responses=problems(409, 412, 428)
)
async def publish_ruleset(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    version: Version,
    expected: IfMatchDep,
    response: Response,
) -> RulesetVersionRead:
    """Publish a draft (send `If-Match`): it becomes immutable and screens the fund's
    applications from now on. `fund.ruleset_published` is emitted and the fund's
    submitted applications are rescored in the background (see the rescore progress).
    """
    found = await rulesets.publish(session, principal, fund_code, version, if_match=expected)
    with_etag(response, rulesets.etag_value(found))
    return views.version_read(found, fund_code)


@router.get("/{version}/rescore", summary="Get rescoring progress", responses=problems(409))
async def get_rescore_progress(
    _: AdminOnly, session: SessionDep, fund_code: FundCode, version: Version
) -> RescoreProgress:
    """How far the rescoring of the fund's applications under this published version went:
    total, done, failed and remaining, counted from the assessments themselves.
    """
    return await rescoring.progress(session, fund_code, version)


@router.post(
    "/{version}/rescore",
    summary="Restart rescoring",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(409),
)
async def restart_rescore(
    _: AdminOnly, session: SessionDep, fund_code: FundCode, version: Version
) -> RescoreStarted:
    """Queue the rescoring of the fund under its current published version again (after a
    Redis loss, say): applications already assessed under it are skipped.
    """
    return await rescoring.restart(session, fund_code, version)
