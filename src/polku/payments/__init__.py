"""Outcome-based payment models: model files, what they pay, and what they buy (docs/payments.md)."""
