"""The event catalogue and the transactional outbox every domain writes to."""
