"""Portfolio scoring: whole files of borrowers scored as jobs, on one machine or on Dask."""
