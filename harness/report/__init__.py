"""Reporting: ``results.json``, ``junit.xml``, each run's redacted evidence files, the HTML report and the manifest
that makes a report folder tamper-evident.
"""
