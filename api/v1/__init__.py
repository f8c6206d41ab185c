"""Afnemer API v1: the machine-client interface (NL GOV API Design Rules)."""
