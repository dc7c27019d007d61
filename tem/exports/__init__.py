"""Board-ready outputs: manifest, atomic file writing, workbook, charts and report."""
