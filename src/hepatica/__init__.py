"""Hepatica: AI-assisted imaging of liver tumours."""

__version__ = "0.1.0"
