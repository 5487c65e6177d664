"""The operators' live dashboard: a Streamlit app that reads only the control plane's HTTP API."""
