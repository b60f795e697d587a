-- DuckDB macros standing in for the Trino (Athena engine v3) functions the SQL in sql/ uses,
-- so one text runs on both engines. Each keeps Trino's semantics.

-- Trino at_timezone(timestamp, zone): the instant seen in that zone. Lake timestamps are UTC.
create or replace macro at_timezone(ts, zone) as timezone(zone, cast(ts as timestamptz));

-- Trino to_unixtime(timestamp): seconds since the epoch, as double.
create or replace macro to_unixtime(ts) as cast(epoch_ms(cast(ts as timestamp)) as double) / 1000.0;

-- Trino day_of_week(date): ISO numbering, Monday = 1 … Sunday = 7 (DuckDB's dayofweek has Sunday = 0).
create or replace macro day_of_week(d) as isodow(d);

-- Trino day_of_month(date).
create or replace macro day_of_month(d) as dayofmonth(d);
