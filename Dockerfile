# One image for every role: API (tidi serve), worker (tidi worker), migrate/seed (tidi migrate, tidi seed).
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/tidi

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY requirements ./requirements
COPY shared ./shared
COPY services ./services
COPY migrations ./migrations
# VAR_DIR: the worker's health file, the metrics of `tidi serve --workers N`.
RUN pip install -c requirements/constraints.txt . \
    && useradd --system --uid 10001 tidi \
    && install -d -o tidi "$VAR_DIR"
USER tidi

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["tidi", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
