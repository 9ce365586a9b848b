"""The queue adapter: arq jobs and crons over the shared services."""
