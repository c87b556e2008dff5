-- PostgreSQL: a read-only role for BI tools and analysts (run once as the warehouse owner).
-- It can read the marts (analytics) and staging views, never write, and sees tables dbt
-- creates later too. Replace the password, then connect BI tools as `bi_reader`.
create role bi_reader login password 'change-me';
grant connect on database deliverability to bi_reader;
grant usage on schema analytics, staging to bi_reader;
grant select on all tables in schema analytics, staging to bi_reader;
alter default privileges in schema analytics grant select on tables to bi_reader;
alter default privileges in schema staging grant select on tables to bi_reader;
