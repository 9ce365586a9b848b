"""Operator webhooks: signing, secrets at rest, the SSRF guard, retries and endpoint health."""
