"""tidi adapters: the HTTP API, the arq worker and the command line."""
