"""The SQL tidi sends to PostgreSQL for one submit and one `GET /v1/funds`, as captured.

The bare app (`bench/bare_app.py`) replays these statements with asyncpg, so that its
figures differ from tidi's by tidi's own work (HTTP, auth, validation, ORM, serialisation),
not by SQL. They were captured from tidi's requests (SQLAlchemy's `before_cursor_execute`,
checked against PostgreSQL's `log_statement = 'all'`): the statements of
`shared/eligibility/completeness.py` and `facts.py` (the rule reads a submit makes before it writes),
`shared/applications/submission.py` with `shared/outbox/repository.py`, and of the funds list.

THEY MUST BE UPDATED WHEN TIDI'S STATEMENTS CHANGE. `bench/submissions.py` and
`bench/reads.py` capture tidi's statements again before every run and fail, printing them,
when they differ from these (whitespace aside); the parameters `bare_app.submit_statements`
builds for each statement are checked against tidi's in the same way (count, kinds, JSON
keys; and the values of the reads, which the application row determines).
"""

# ruff: noqa: E501 - statements are kept as captured

SUBMIT_READ = """
SELECT applications.id, applications.project_id, applications.fund_id, applications.territory_id, applications.operator_id, applications.region_code, applications.status, applications.applicant_siren, applications.expense_holder_siren, applications.requested_amount_cents, applications.eligible_expense_base_cents, applications.expense_lines, applications.aid_form, applications.prior_deminimis_cents, applications.engagements, applications.attestations, applications.territory_opinion, applications.answers, applications.attachments, applications.project_snapshot, applications.submission_no, applications.submitted_at, applications.created_by_key_id, applications.assignee, applications.information_request, applications.information_due_on, applications.information_overdue_notified, applications.decision, applications.awarded_cents, applications.agreement, applications.created_at, applications.updated_at, applications.version, projects_1.id AS id_1, projects_1.territory_id AS territory_id_1, projects_1.status AS status_1, projects_1.title, projects_1.description, projects_1.nature, projects_1.priorities, projects_1.holder, projects_1.holder_siren, projects_1.site, projects_1.site_region_code, projects_1.investment_total_cents, projects_1.planned_start, projects_1.planned_end, projects_1.jobs_created, projects_1.jobs_maintained, projects_1.relocation, projects_1.is_collective, projects_1.contacts, projects_1.submitted_at AS submitted_at_1, projects_1.created_by_key_id AS created_by_key_id_1, projects_1.created_at AS created_at_1, projects_1.updated_at AS updated_at_1, projects_1.version AS version_1, funds_1.id AS id_2, funds_1.code, funds_1.name, funds_1.description AS description_1, funds_1.kind, funds_1.operator_id AS operator_id_1, funds_1.status AS status_2, funds_1.envelope_cents, funds_1.regional_share_cents, funds_1.max_award_cents, funds_1.opens_at, funds_1.closes_at, funds_1.aid_forms, funds_1.regional_preselection, funds_1.source_url, funds_1.question_schema, funds_1.created_at AS created_at_2, funds_1.updated_at AS updated_at_2, funds_1.version AS version_2
FROM applications LEFT OUTER JOIN projects AS projects_1 ON projects_1.id = applications.project_id LEFT OUTER JOIN funds AS funds_1 ON funds_1.id = applications.fund_id
WHERE applications.territory_id = $1::UUID AND applications.id = $2::UUID
"""
"""The tenancy-checked read of a submit: the application (of the key's territory), its
project and its fund. $1 territory id, $2 application id."""

SUBMIT_RULESET = """
SELECT ruleset_versions.id, ruleset_versions.version
FROM ruleset_versions
WHERE ruleset_versions.fund_id = $1::UUID AND ruleset_versions.status = $2::ruleset_status ORDER BY ruleset_versions.version DESC
 LIMIT $3::INTEGER
"""
"""The fund's latest published ruleset version, whose rules tell what the draft still
lacks (`shared/eligibility/repository.py`): its id and number only, since the process
parsed its definition when it first met it (that one submit reads the definition too).
$1 the application's fund id, $2 `published`, $3 the limit (1)."""

SUBMIT_FACTS = """
SELECT facts.registered, site.in_territory, site.coverages, site.memberships, territory.code AS territory_code, territory.name AS territory_name
FROM (SELECT (SELECT coalesce(sum(aid_register.gross_grant_equivalent_cents), $1::INTEGER) AS coalesce_1
FROM aid_register
WHERE aid_register.siren = $2::VARCHAR AND aid_register.regime = $3::aid_regime AND aid_register.granted_on > $4::DATE AND aid_register.granted_on <= $5::DATE) AS registered) AS facts LEFT OUTER JOIN (
SELECT
  EXISTS (SELECT 1 FROM territory_epcis AS t WHERE t.epci_siren = c.epci_siren) AS in_territory,
  ARRAY(SELECT ARRAY[z.kind::text, z.vintage::text] FROM zoning_coverages AS z
        WHERE z.valid_from <= $6::DATE AND (z.valid_to IS NULL OR z.valid_to > $6::DATE)
          AND (z.scope = 'france'
               OR (z.scope = 'departments' AND z.scope_codes @> ARRAY[c.department_code]::varchar[])
               OR (z.scope = 'communes' AND z.scope_codes @> ARRAY[c.insee_code]::varchar[]))
        ORDER BY 1) AS coverages,
  ARRAY(SELECT DISTINCT ARRAY[m.kind::text, m.vintage::text] FROM zoning_memberships AS m
        WHERE m.commune_insee = c.insee_code
          AND m.valid_from <= $6::DATE AND (m.valid_to IS NULL OR m.valid_to > $6::DATE)
        ORDER BY 1) AS memberships
FROM communes AS c WHERE c.insee_code = $7::VARCHAR
) AS site ON true LEFT OUTER JOIN (SELECT territories.code AS code, territories.name AS name
FROM territories
WHERE territories.id = $8::UUID) AS territory ON true
"""
"""In one round trip (`shared/eligibility/facts.stored_facts`): the de minimis the
State-aid register holds for the applicant over the rolling window ending today
(`shared/stateaid/repository.py`), added to the declared prior aid, the zonings of the
site's commune today with whether its intercommunality is in a Territoire d'industrie
(`shared/zonings/repository.py`, `text()`), and the code and name of the application's
territory (`shared/territories/repository.py`). $1 the sum of none (0), $2 the applicant's
SIREN, $3 the de minimis regime, $4 the day before the window starts (today, three years
back), $5 and $6 today (UTC), $7 the project site's commune (INSEE code), $8 the
application's territory id."""

SUBMIT_WRITE = """
WITH changed AS
(UPDATE applications SET status=$10::application_status, project_snapshot=$11::JSONB, submission_no=$12::BIGINT, submitted_at=$13::TIMESTAMP WITH TIME ZONE, updated_at=now(), version=(applications.version + $14::INTEGER) WHERE applications.id = $15::UUID AND applications.version = $16::INTEGER RETURNING applications.version, applications.updated_at),
entry AS
(INSERT INTO audit_entries (id, actor_key_id, actor_role, action, subject_type, subject_id, changes, reason, request_id) SELECT $1::UUID AS anon_1, $2::UUID AS anon_2, $3::VARCHAR AS anon_3, $4::VARCHAR AS anon_4, $5::VARCHAR AS anon_5, $6::VARCHAR AS anon_6, $7::JSONB AS anon_7, $8::VARCHAR AS anon_8, $9::VARCHAR AS anon_9
FROM changed),
audience AS
(SELECT coalesce(array_agg(DISTINCT candidates.op) FILTER (WHERE candidates.op IS NOT NULL), CAST($36::VARCHAR AS UUID[])) AS ids
FROM (SELECT $22::UUID AS op UNION ALL SELECT operators.id AS id
FROM operators
WHERE operators.kind = $37::operator_kind AND operators.region_code = $38::VARCHAR UNION ALL SELECT webhook_routing_rules.operator_id AS operator_id
FROM webhook_routing_rules
WHERE (CAST(webhook_routing_rules.field AS TEXT) || $39::VARCHAR || webhook_routing_rules.value) = ANY ($40::VARCHAR[])) AS candidates),
event AS
(INSERT INTO events (id, type, subject_type, subject_id, fund_id, operator_id, territory_id, request_id, sequence, occurred_at, data, audience) SELECT $17::UUID AS anon_11, $18::VARCHAR AS anon_12, $19::VARCHAR AS anon_13, $20::UUID AS anon_14, $21::UUID AS anon_15, $22::UUID AS anon_16, $23::UUID AS anon_17, $24::VARCHAR AS anon_18, changed.version AS version, changed.updated_at AS updated_at, $25::JSONB || jsonb_build_object($26::VARCHAR, to_char(timezone($27::VARCHAR, changed.updated_at), $28::VARCHAR) || CASE WHEN (CAST(date_part($29::VARCHAR, changed.updated_at) AS BIGINT) % $30::BIGINT = $31::BIGINT) THEN $32::VARCHAR ELSE to_char(timezone($27::VARCHAR, changed.updated_at), $33::VARCHAR) END || $34::VARCHAR, $35::VARCHAR, changed.version) AS anon_19, audience.ids AS ids
FROM audience JOIN changed ON true RETURNING events.id, events.position, events.type, events.fund_id, events.audience),
delivery AS
(INSERT INTO webhook_deliveries (id, event_id, endpoint_id, position, event_type) SELECT gen_random_uuid() AS gen_random_uuid_1, event.id AS id, webhook_endpoints.id AS id_1, event.position AS position, event.type AS type
FROM event JOIN webhook_endpoints ON webhook_endpoints.operator_id = ANY (event.audience)
WHERE (cardinality(webhook_endpoints.event_types) = $41::INTEGER OR event.type = ANY (webhook_endpoints.event_types)) AND (cardinality(webhook_endpoints.fund_codes) = $42::INTEGER OR (EXISTS (SELECT *
FROM funds
WHERE funds.id = event.fund_id AND funds.code = ANY (webhook_endpoints.fund_codes)))) RETURNING webhook_deliveries.id, webhook_deliveries.endpoint_id)
 SELECT changed.version, changed.updated_at, delivery.id, delivery.endpoint_id, CAST(webhook_endpoints.state AS TEXT) AS state, webhook_endpoints.max_in_flight, (EXISTS (SELECT *
FROM webhook_deliveries AS webhook_deliveries_1
WHERE webhook_deliveries_1.endpoint_id = delivery.endpoint_id AND webhook_deliveries_1.status = 'pending' AND webhook_deliveries_1.locked_until > clock_timestamp())) AND (EXISTS (SELECT *
FROM webhook_deliveries AS webhook_deliveries_1
WHERE webhook_deliveries_1.endpoint_id = delivery.endpoint_id AND webhook_deliveries_1.status = 'pending' AND webhook_deliveries_1.next_attempt_at <= clock_timestamp() AND (webhook_deliveries_1.locked_until IS NULL OR webhook_deliveries_1.locked_until < clock_timestamp()))) AS anon_10
FROM changed LEFT OUTER JOIN (delivery JOIN webhook_endpoints ON webhook_endpoints.id = delivery.endpoint_id) ON true
"""
"""The submit's one write (autocommit, no BEGIN/COMMIT): status, audit entry, event and its
deliveries (`shared/outbox/repository.py`, SQLAlchemy Core). $1-$9 the audit entry, $10-$13
the new values, $14 the version step, $15-$16 the row and its version read, $17-$25 the
event, $26-$36 the SQL constants Core binds (stamping the event, the empty audience), $37-$38
the co-deciding Region (operator kind, region code), $39 its constant, $40 the route tags,
$41-$42 the endpoint filters' constants."""

SUBMIT = (
    SUBMIT_READ,
    SUBMIT_RULESET,
    SUBMIT_FACTS,
    SUBMIT_WRITE,
)
"""Every statement of a submit, in tidi's order: the read, the reads of what the fund's
rules need (`shared/eligibility/completeness.py`), then the write."""

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
"""`GET /v1/funds`: one page (limit 50, plus one to see whether another page follows), sent
without a transaction by both (tidi's reads run in autocommit sessions)."""

FUNDS_PAGE_LIMIT = 51
