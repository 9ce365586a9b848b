"""The HTTP adapter: FastAPI routers over the shared services."""
