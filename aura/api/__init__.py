"""The prediction service: FastAPI over the ONNX artifacts, importing no training library.

`aura.api.app:app` is the ASGI application (``aura serve`` runs it with uvicorn). onnxruntime's
usage telemetry is turned off by the package itself (`aura`), before any module imports it.
"""
