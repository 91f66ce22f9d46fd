"""Monitoring in production: stability, decision mix, performance, fairness, alerts."""
