"""The Streamlit app's widgets and wiring, one module per tab (app.py puts them together).

Uploads become text sources in trainer.ingest (pure, unit-tested on its own).
"""
