#!/bin/sh
# PostgreSQL's first start (the image's /docker-entrypoint-initdb.d; runs once, on an empty
# data volume). Passwords travel as psql variables (:'name'), never spliced into SQL text.
#
# Three roles: Keycloak's, owning its database; the sidecar's owner, which migrations run as
# (tables, the audit table's append-only triggers); and the sidecar's application role, which
# the web and outbox processes use: rows only, never the schema. Migration 0007 takes UPDATE,
# DELETE and TRUNCATE on audit_events away from it, so it can neither rewrite the audit trail
# nor drop the triggers that guard it (X4). tests/integration/storage/test_database_roles.py
# runs this file against a real PostgreSQL.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v kc_user="$KC_DB_USERNAME" -v kc_password="$KC_DB_PASSWORD" \
  -v owner_password="$SIDECAR_DB_OWNER_PASSWORD" -v app_password="$SIDECAR_DB_PASSWORD" <<'SQL'
CREATE ROLE :"kc_user" LOGIN PASSWORD :'kc_password';
CREATE DATABASE keycloak OWNER :"kc_user";
CREATE ROLE gerbang_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE gerbang LOGIN PASSWORD :'app_password';
CREATE DATABASE gerbang OWNER gerbang_owner;
\connect gerbang
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO gerbang_owner;
GRANT USAGE ON SCHEMA public TO gerbang;
ALTER DEFAULT PRIVILEGES FOR ROLE gerbang_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gerbang;
ALTER DEFAULT PRIVILEGES FOR ROLE gerbang_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO gerbang;
SQL
