# One image, "gerbang", for the sidecar (default command), the provisioning job and the mail sink.
# docker-compose.yml chooses the command; Keycloak itself runs from the stock Keycloak image.
# The browser widgets (the captcha) come from npm, pinned by their package-lock.json.
FROM node:22-slim AS widgets
WORKDIR /widgets
COPY extension-service/widgets/package.json extension-service/widgets/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GERBANG_INSTANCE_PATH=/var/lib/gerbang \
    GERBANG_CACHE=/var/lib/gerbang/cache

WORKDIR /app

COPY constraints.txt ./
COPY extension-service/ extension-service/
COPY scripts/ scripts/
COPY realm-config/ realm-config/
COPY themes/ themes/
COPY --from=widgets /widgets/node_modules extension-service/widgets/node_modules

# Editable installs on purpose: gerbang_ops finds realm-config/ and themes/ relative to its own
# source (gerbang_ops/paths.py), so the packages must stay in /app rather than site-packages.
# Every dependency is pinned by the repository's constraints.txt, exactly as in `make test`.
RUN pip install -c constraints.txt -e ./extension-service -e ./scripts

# Runtime data (sidecar instance folder, caches, the staging mail sink's .eml files) lives
# outside the code, owned by an unprivileged user; the code stays root-owned and read-only.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/gerbang --shell /usr/sbin/nologin gerbang \
    && mkdir -p /var/lib/gerbang/cache /var/lib/gerbang/mail \
    && chown -R gerbang:gerbang /var/lib/gerbang

USER gerbang

EXPOSE 5000
CMD ["gunicorn", "--config", "python:gerbang_sidecar.gunicorn_config", "--bind", "0.0.0.0:5000",
     "gerbang_sidecar.serve:wsgi_app()"]
