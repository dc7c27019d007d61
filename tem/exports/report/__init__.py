"""The self-contained HTML report of one run: ``page`` (the page) and ``tables`` (its HTML tables)."""
