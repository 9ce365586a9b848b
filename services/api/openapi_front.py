"""The OpenAPI document's front matter: what the API is, its tags, its servers."""

DESCRIPTION = """
**tidi** is the operational backbone of France's *Territoires d'industrie* programme:
territories register industrial projects, project holders apply to funds, workers screen
and score applications, and partner operators are notified by signed webhooks.

* **Authentication**: every call except health and documentation needs an API key,
  sent as `Authorization: Bearer tidi_…`. Click **Authorize** and paste it.
  Each operation lists the roles allowed to call it (`x-roles`).
* **Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details
  (`application/problem+json`); validation problems list each invalid field as a
  JSON pointer in `errors`.
* **Collections** are paginated by cursor: pass `next_cursor` back as `cursor`.
* **Updates** need `If-Match` with the `ETag` of the version you read
  (`412` if it changed since, `428` if missing).
* **Retries**: creating a project or an application accepts an `Idempotency-Key`
  header; a retry with the same key replays the first response
  (`Idempotent-Replayed: true`) instead of creating twice.
* **Money** is in integer euro cents.
* **Webhooks** follow [Standard Webhooks](https://www.standardwebhooks.com): verify them
  with its libraries and your endpoint's `whsec_` secret; the catalogue of events is in the
  `webhooks` section of this document, and `GET /v1/events` serves the same envelopes.
"""

TAGS = [
    {
        "name": "geography",
        "description": "Reference geography: regions, departments, EPCIs, communes (COG).",
    },
    {
        "name": "territories",
        "description": "Territoires d'industrie, their EPCIs and their binôme.",
    },
    {
        "name": "operators",
        "description": "Partner operators that instruct funds and receive notifications.",
    },
    {"name": "funds", "description": "Funding schemes, their windows and questions."},
    {
        "name": "budgets",
        "description": "Fund envelopes by financer and period: committed, paid, remaining.",
    },
    {
        "name": "projects",
        "description": "Industrial projects of the territories and their lifecycle.",
    },
    {
        "name": "applications",
        "description": "Applications to funds: drafts, completeness, submission, lifecycle.",
    },
    {
        "name": "decisions",
        "description": (
            "Regional preselection, instruction, information requests, approval or "
            "rejection, agreement, payments and closing of applications."
        ),
    },
    {
        "name": "outcomes",
        "description": (
            "What funded projects achieved: jobs created and maintained and investment made, "
            "reported after the agreement, beside the planned figures."
        ),
    },
    {
        "name": "sites",
        "description": (
            "Sites clés en main: the catalogue of industrial sites ready for investors, "
            "searched by place, area and distance; territories propose, the State labels."
        ),
    },
    {
        "name": "exports",
        "description": (
            "Files of the applications, their projects and the statistics (CSV, XLSX), and "
            "the awards above 23,000 € as SCDL « Subventions » open data, streamed, each key "
            "within its own scope."
        ),
    },
    {
        "name": "statistics",
        "description": (
            "Programme figures (applications, money by financer, jobs, relocations, fragile "
            "territories, monthly series, decision delays), in total, per territory and per "
            "region, each key within its own scope."
        ),
    },
    {
        "name": "state-aid",
        "description": (
            "The State-aid register (awards in tidi, aid granted elsewhere) and the de "
            "minimis room of an undertaking; approvals are checked against it."
        ),
    },
    {
        "name": "eligibility",
        "description": "Assessments of applications against their fund's ruleset, and simulations.",
    },
    {"name": "api-keys", "description": "API keys and the caller's identity."},
    {
        "name": "webhooks",
        "description": (
            "Webhook endpoints of partner operators (Standard Webhooks signatures), their "
            "deliveries, attempts, statistics, replay, and the routing rules of project "
            "events. The event catalogue is in this document's `webhooks` section."
        ),
    },
    {
        "name": "events",
        "description": "The events API: the webhook envelopes, in order, for polling.",
    },
    {"name": "audit", "description": "The audit log of every change."},
    {"name": "system", "description": "Health, readiness and metrics."},
]


SERVERS = [
    {
        "url": "/",
        "description": "The host serving this document (API paths start with `/v1`).",
    }
]
