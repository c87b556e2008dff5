-- PostgreSQL: a read-only role for BI tools and analysts.
-- Run once, after the first `make run`, as the loader role (the one in
-- DESTINATION__POSTGRES__CREDENTIALS__USERNAME, here `loader`) or as a superuser:
--   psql -U loader -d deliverability -f sql/_setup_postgres_readonly_role.sql
-- Replace the password first; if your loader role has another name, replace `loader` too.
-- The role reads the marts (analytics), the staging views and the raw tables, never writes,
-- and keeps reading after every later run: dbt drops and recreates its tables and views on each
-- build, and the default privileges below are those of the role that creates them (`for role loader`).
create role bi_reader login password 'change-me';
alter role bi_reader set timezone = 'UTC';
grant connect on database deliverability to bi_reader;
grant usage on schema analytics, staging, raw to bi_reader;
grant select on all tables in schema analytics, staging, raw to bi_reader;
alter default privileges for role loader in schema analytics grant select on tables to bi_reader;
alter default privileges for role loader in schema staging grant select on tables to bi_reader;
alter default privileges for role loader in schema raw grant select on tables to bi_reader;
