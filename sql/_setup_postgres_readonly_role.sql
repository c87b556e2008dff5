-- PostgreSQL: what the read-only role `bi_reader` may read. Run once, after the first `make run`,
-- as the loader role (the one in DESTINATION__POSTGRES__CREDENTIALS__USERNAME, here `loader`):
--   psql -U loader -d deliverability -v ON_ERROR_STOP=1 -f sql/_setup_postgres_readonly_role.sql
-- It only grants what the loader owns (the database, its schemas and tables), so the loader may
-- run it; creating the role itself needs an admin: sql/_setup_postgres_roles.sql. If your loader
-- role has another name, replace `loader` below.
-- The role reads the marts (analytics), the staging views and the raw tables, never writes,
-- and keeps reading after every later run: dbt drops and recreates its tables and views on each
-- build, and the default privileges below are those of the role that creates them (`for role loader`).
grant connect on database deliverability to bi_reader;
grant usage on schema analytics, staging, raw to bi_reader;
grant select on all tables in schema analytics, staging, raw to bi_reader;
alter default privileges for role loader in schema analytics grant select on tables to bi_reader;
alter default privileges for role loader in schema staging grant select on tables to bi_reader;
alter default privileges for role loader in schema raw grant select on tables to bi_reader;
