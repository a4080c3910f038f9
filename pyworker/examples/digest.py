"""An AI pipeline in miniature: split a document, summarize its chunks in parallel, combine.

The "LLM" is simulated (a short sleep and a first-sentence summary) but behaves like a real
provider in the two ways that matter here: calls take time, and the provider allows only so
many calls per second, so the worker waits for tokens from a local token bucket. The chunks
are summarized by four parallel steps sharing one action; each takes its share of the chunks.

Its names start with "hewer-demo" (the workflow `hewer-demo`, actions `hewer-demo:<step>`),
so the demo never meets a workflow of the user's own, whatever the user registers.

Run it with `hewer dev`, or by hand:
    hewer worker pyworker.examples.digest:digest
    hewer run hewer-demo --input '{"text": "..."}' --wait
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from typing import Any

from pyworker import Backoff, Context, Workflow

PARALLEL = 4
CHUNK_WORDS = 25

SAMPLE = (
    "Hewer runs durable workflows on PostgreSQL. Every state transition is a function in the "
    "database, so work survives crashes of any process around it. Workers connect to "
    "dispatchers over gRPC and receive tasks as soon as they are ready. A task that fails is "
    "retried with exponential backoff, and a worker that dies has its tasks handed to another "
    "worker once its heartbeats stop. Steps of a workflow form a graph: a step starts when all "
    "of its parents have succeeded, and receives their outputs. Language models are slow and "
    "rate limited, which is why pipelines built on them need queues that respect limits and "
    "share capacity fairly. This document is split into chunks, each chunk is summarized by a "
    "simulated model call, and the summaries are combined into a digest at the end."
)


class SimulatedLLM:
    """A stand-in model client: rate limited (token bucket) and slow, like a real provider."""

    def __init__(self, per_second: float = 8.0, burst: int = 2) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()

    async def _take(self) -> None:
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.per_second)

    async def complete(self, text: str) -> str:
        """A "summary": the text's first sentence, after a rate-limited, slow call."""
        await self._take()
        await asyncio.sleep(random.uniform(0.02, 0.08))  # noqa: S311 - simulated latency
        first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
        return first if len(first) <= 120 else first[:117] + "..."


llm = SimulatedLLM()
digest = Workflow(
    "hewer-demo", description="Split a document, summarize chunks in parallel, combine"
)


@digest.task(timeout="30s")
def split(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Cut the document into chunks of whole sentences, about CHUNK_WORDS words each."""
    text = str(input.get("text") or SAMPLE)
    chunks: list[str] = []
    current: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= CHUNK_WORDS:
            chunks.append(" ".join(current))
            current = []
    if current:
        chunks.append(" ".join(current))
    ctx.log.info("split %d words into %d chunks", len(text.split()), len(chunks))
    return {"chunks": chunks}


async def summarize(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Summarize every PARALLEL-th chunk, starting at this step's index (summarize_<i>).

    The summarize steps share one action, "hewer-demo:summarize": one function serves them all.
    """
    index = int(ctx.step.rsplit("_", 1)[1])
    chunks = ctx.parent(split)["chunks"]
    mine = chunks[index::PARALLEL]
    summaries = [await llm.complete(chunk) for chunk in mine]
    ctx.log.info("summarized %d chunks", len(mine))
    return {"index": index, "summaries": summaries}


summarizers = [
    digest.task(
        name=f"summarize_{i}",
        parents=[split],
        retries=3,
        timeout="1m",
        backoff=Backoff(base="500ms", factor=2, max="10s"),
        action="hewer-demo:summarize",
    )(summarize)
    for i in range(PARALLEL)
]


@digest.task(parents=summarizers, timeout="30s")
def combine(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put the summaries back in document order."""
    parts = [ctx.parent(s) for s in summarizers]
    ordered: list[str] = []
    for i in range(max(len(p["summaries"]) for p in parts)):
        ordered.extend(p["summaries"][i] for p in parts if i < len(p["summaries"]))
    return {"digest": " ".join(ordered), "chunks": len(ordered)}
