"""Providers compared risk-adjusted: funnel plots of observed against expected employment,
ratings, and monitors of creaming and parking (docs/providers.md)."""
