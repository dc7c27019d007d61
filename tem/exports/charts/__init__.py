"""plotly charts of one run: ``figures`` (the figures), ``theme`` (colours, fonts, number formats), ``png``
(Chromium/kaleido export) and ``files`` (HTML and PNG files of every figure)."""
