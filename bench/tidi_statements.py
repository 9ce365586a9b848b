"""The SQL tidi sends to PostgreSQL for one submit and one `GET /v1/funds`, as captured.

The bare app (`bench/bare_app.py`) replays these statements with asyncpg, so that its
figures differ from tidi's by tidi's own work (HTTP, auth, validation, ORM, serialisation),
not by SQL. They were captured from tidi's requests (SQLAlchemy's `before_cursor_execute`,
checked against PostgreSQL's `log_statement = 'all'`): the statements of
`shared/applications/submission.py` with `shared/outbox/versioned.py` and
`shared/outbox/fanout.py`, and of the funds list.

THEY MUST BE UPDATED WHEN TIDI'S STATEMENTS CHANGE. `bench/submissions.py` and
`bench/reads.py` capture tidi's statements again before every run and fail, printing them,
when they differ from these (whitespace aside); the parameters `bare_app.submit_parameters`
builds are checked against tidi's in the same way (count, kinds, JSON keys).
"""

# ruff: noqa: E501 - statements are kept as captured

SUBMIT_READ = """
SELECT applications.id, applications.project_id, applications.fund_id, applications.territory_id,
applications.operator_id, applications.region_code, applications.status, applications.applicant_siren,
applications.requested_amount_cents, applications.eligible_expense_base_cents, applications.expense_lines,
applications.aid_form, applications.prior_deminimis_cents, applications.engagements, applications.attestations,
applications.territory_opinion, applications.answers, applications.attachments, applications.project_snapshot,
applications.submission_no, applications.submitted_at, applications.created_by_key_id, applications.created_at,
applications.updated_at, applications.version, projects_1.id AS id_1, projects_1.territory_id AS territory_id_1,
projects_1.status AS status_1, projects_1.title, projects_1.description, projects_1.nature, projects_1.priorities,
projects_1.holder, projects_1.holder_siren, projects_1.site, projects_1.site_region_code,
projects_1.investment_total_cents, projects_1.planned_start, projects_1.planned_end, projects_1.jobs_created,
projects_1.jobs_maintained, projects_1.relocation, projects_1.is_collective, projects_1.contacts,
projects_1.submitted_at AS submitted_at_1, projects_1.created_by_key_id AS created_by_key_id_1,
projects_1.created_at AS created_at_1, projects_1.updated_at AS updated_at_1, projects_1.version AS version_1,
funds_1.id AS id_2, funds_1.code, funds_1.name, funds_1.description AS description_1, funds_1.kind,
funds_1.operator_id AS operator_id_1, funds_1.status AS status_2, funds_1.envelope_cents,
funds_1.regional_share_cents, funds_1.max_award_cents, funds_1.opens_at, funds_1.closes_at, funds_1.aid_forms,
funds_1.regional_preselection, funds_1.source_url, funds_1.question_schema, funds_1.created_at AS created_at_2,
funds_1.updated_at AS updated_at_2, funds_1.version AS version_2
FROM applications LEFT OUTER JOIN projects AS projects_1 ON projects_1.id = applications.project_id
LEFT OUTER JOIN funds AS funds_1 ON funds_1.id = applications.fund_id
WHERE applications.territory_id = $1::UUID AND applications.id = $2::UUID
"""
"""The tenancy-checked read of a submit: the application (of the key's territory), its
project and its fund. $1 territory id, $2 application id."""

SUBMIT_WRITE = """
WITH changed AS (
    UPDATE applications SET status = $1::application_status, project_snapshot = $2::JSONB,
    submission_no = $3::BIGINT, submitted_at = $4::TIMESTAMP WITH TIME ZONE, version = version + 1,
    updated_at = now()
    WHERE id = $5::UUID AND version = $6
    RETURNING version, updated_at
), entry AS (
    INSERT INTO audit_entries (id, actor_key_id, actor_role, action, subject_type, subject_id, changes, reason, request_id)
    SELECT $7::UUID, $8::UUID, $9::VARCHAR, $10::VARCHAR, $11::VARCHAR, $12::VARCHAR, $13::JSONB, $14::VARCHAR, $15::VARCHAR FROM changed
),
audience AS (
    SELECT coalesce(array_agg(DISTINCT op) FILTER (WHERE op IS NOT NULL), '{}') AS ids
    FROM (
        SELECT CAST($16::UUID AS uuid) AS op
        UNION ALL
        SELECT r.operator_id FROM webhook_routing_rules r
        WHERE (r.field::text || ':' || r.value) = ANY($17::VARCHAR[])
    ) AS candidates
),
event AS (
    INSERT INTO events (id, type, subject_type, subject_id, sequence, occurred_at, fund_id, operator_id, territory_id, data, request_id, audience)
    SELECT $18, $19, $20, $21, changed.version, changed.updated_at, $22,
           $16::UUID, $23, CAST($24::JSONB AS jsonb) || jsonb_build_object('occurred_at',
           to_char(changed.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || CASE
           WHEN date_part('microseconds', changed.updated_at)::bigint % 1000000 = 0 THEN ''
           ELSE to_char(changed.updated_at AT TIME ZONE 'UTC', '.US') END || 'Z', 'sequence', changed.version), $25, audience.ids
    FROM audience, changed
    RETURNING id, position, type, fund_id, audience
),
delivery AS (
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, position, event_type)
    SELECT gen_random_uuid(), event.id, endpoint.id, event.position, event.type
    FROM event JOIN webhook_endpoints AS endpoint ON endpoint.operator_id = ANY(event.audience)
    WHERE CASE
        WHEN CAST($26::UUID AS uuid) IS NOT NULL THEN endpoint.id = $26::UUID
        ELSE $27
            AND (cardinality(endpoint.event_types) = 0 OR event.type = ANY(endpoint.event_types))
            AND (cardinality(endpoint.fund_codes) = 0 OR EXISTS (
                SELECT 1 FROM funds WHERE funds.id = event.fund_id
                AND funds.code = ANY(endpoint.fund_codes)))
    END
    RETURNING id, endpoint_id
)
SELECT changed.version, changed.updated_at, delivery.id AS delivery_id, delivery.endpoint_id,
endpoint.state::text AS state, endpoint.max_in_flight
FROM changed LEFT JOIN (delivery JOIN webhook_endpoints AS endpoint ON endpoint.id = delivery.endpoint_id) ON true
"""
"""The submit's one write (autocommit, no BEGIN/COMMIT): status, audit entry, event and its
webhook deliveries, if the row is still at the version read. Parameters: see
`bare_app.submit_parameters`."""

FUNDS_PAGE = """
SELECT funds.id, funds.code, funds.name, funds.description, funds.kind, funds.operator_id, funds.status,
funds.envelope_cents, funds.regional_share_cents, funds.max_award_cents, funds.opens_at, funds.closes_at,
funds.aid_forms, funds.regional_preselection, funds.source_url, funds.question_schema, funds.created_at,
funds.updated_at, funds.version, operators_1.id AS id_1, operators_1.code AS code_1, operators_1.name AS name_1,
operators_1.kind AS kind_1, operators_1.region_code, operators_1.website, operators_1.description AS description_1,
operators_1.created_at AS created_at_1, operators_1.updated_at AS updated_at_1, operators_1.version AS version_1
FROM funds LEFT OUTER JOIN operators AS operators_1 ON operators_1.id = funds.operator_id ORDER BY funds.code ASC
LIMIT $1::INTEGER
"""
"""`GET /v1/funds`: one page (limit 50, plus one to see whether another page follows). tidi
sends it inside BEGIN … COMMIT (its read sessions are transactions); the bare app does not."""

FUNDS_PAGE_LIMIT = 51
