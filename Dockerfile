# One image for all four services; compose picks the service with `command`.
# Targets: `runtime` (default, what operators run) and `tests` (adds the test tools and suite).
# Both run as the unprivileged user `mpp`; dependencies come only from the hashed lock files
# (pip --require-hashes: a changed or substituted package fails the build).
FROM python:3.11.10-slim AS runtime

# HOST: inside its container a service listens on every interface (outside, it defaults to
# loopback); Compose publishes only what it names.
# PYTHONMALLOC=malloc: freed memory is glibc's, which malloc_trim gives back after a burst of
# connections (shared/heap.py); pymalloc's arenas kept ~9 MiB of it. Same CPU, measured.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONMALLOC=malloc \
    HOST=0.0.0.0 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY mppctl ./mppctl
COPY data ./data
RUN pip install --no-deps --no-build-isolation -e . \
    && useradd --system --uid 10001 --home-dir /app mpp
USER mpp

# Liveness for a plain `docker run`; compose overrides it with readiness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8001\")}/healthz', timeout=2)"

CMD ["python", "-m", "services.agency"]

FROM runtime AS tests
USER root
COPY requirements-dev.lock ./
RUN pip install --require-hashes --no-deps -r requirements-dev.lock
COPY tests ./tests
COPY docs ./docs
COPY benchmarks ./benchmarks
COPY docker-compose.yml Dockerfile ./
COPY deploy ./deploy
USER mpp
CMD ["python", "-m", "pytest", "-p", "no:cacheprovider"]

FROM runtime
