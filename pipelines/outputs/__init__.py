"""What is made from a loaded warehouse: the dbt build (`transform`), the BI snapshot and the
HTML report. They read the warehouse and never call an API."""
