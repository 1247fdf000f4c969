# One image for every socle container: compose picks the command (`socle serve SERVICE` or `socle up`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SOCLE_HOST=0.0.0.0 \
    SOCLE_PORT=8080 \
    SOCLE_DATA_DIR=/data

# The build context is filtered by .dockerignore down to what the distribution needs.
WORKDIR /opt/socle
COPY . .
RUN pip install . \
    && install -m 0755 deploy/healthcheck.py /usr/local/bin/socle-healthcheck \
    && rm -rf /opt/socle \
    && groupadd --system --gid 10001 socle \
    && useradd --system --uid 10001 --gid socle --home-dir /data --no-create-home socle \
    && mkdir -p /data \
    && chown socle:socle /data

USER socle
WORKDIR /data
EXPOSE 8080 2525 1143
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 CMD ["socle-healthcheck"]
ENTRYPOINT ["socle"]
CMD ["up"]
