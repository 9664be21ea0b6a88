"""The data model: tables, fields, code lists and business ids, defined once as data.

The importer, the store, the synthetic area and the docs all read the same definitions, so
a field or a code added here reaches every one of them.
"""
