"""Idempotent creation: the same POST retried with one `Idempotency-Key` creates one resource."""
