"""Hepatica's database: the service's jobs and their leases (`queue`), published results and their search
(`results`), API tokens (`tokens`), cohort cases (`cohort`) and the PACS watcher's position, on SQLite by default or
PostgreSQL, with the schema kept by Alembic migrations (`database`). The service and cohort runs use it; nothing
here imports them."""
