"""The bare stack for comparison: FastAPI + asyncpg inserting one JSONB row per POST."""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

DSN = os.environ["BARE_DSN"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=5, max_size=10)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/bare", status_code=201)
async def insert_row(request: Request) -> JSONResponse:
    document = await request.json()
    async with request.app.state.pool.acquire() as connection:
        row_id = await connection.fetchval(
            "INSERT INTO bare_rows (doc) VALUES ($1::jsonb) RETURNING id", json.dumps(document)
        )
    return JSONResponse({"id": str(row_id)}, status_code=201)
