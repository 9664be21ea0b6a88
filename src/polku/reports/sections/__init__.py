"""One module per report section; each registers itself with `polku.reports.registry.register`."""
