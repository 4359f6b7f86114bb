"""``hepatica serve``: a web service over a folder of analyses (a study list, a viewer, uploads that start an
analysis). :func:`create_app` builds the FastAPI application; the command line runs it with uvicorn."""

from hepatica.serve.app import create_app

__all__ = ["create_app"]
