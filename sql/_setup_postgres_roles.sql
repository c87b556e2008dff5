-- PostgreSQL: the roles and the database, created once by an admin (a role that may create roles
-- and databases, e.g. the `postgres` superuser):
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -f sql/_setup_postgres_roles.sql
-- Replace both passwords first. Then, after the first `make run`, the loader itself grants the
-- reader its reads: sql/_setup_postgres_readonly_role.sql.
create role loader login password 'a-strong-password';   -- the pipeline and dbt connect as this role
create database deliverability owner loader;              -- it creates the schemas raw, staging, analytics
create role bi_reader login password 'change-me';         -- BI tools and analysts: read-only
alter role bi_reader set timezone = 'UTC';
