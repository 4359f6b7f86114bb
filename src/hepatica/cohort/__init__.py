"""Cohorts: the per-study analysis over many studies on a distributed engine (Dask), resumable, results in the
database and Parquet."""
