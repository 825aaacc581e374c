"""The Streamlit app's widgets and wiring, one module per tab (app.py puts them together).

state.py owns the typed per-session model every tab takes; widgets.py holds widgets several tabs share;
common.py the cached corpus work, formatting and the warm-up. The logic lives in trainer/ and explorer/.
Uploads become text sources in trainer.ingest (pure, unit-tested on its own).
"""
