"""The Streamlit app's widgets and wiring, one module per tab (app.py puts them together).

ingest.py is pure (no Streamlit): uploaded files -> text sources, unit-tested on its own.
"""
