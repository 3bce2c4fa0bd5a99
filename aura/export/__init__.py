"""Export trained models to ONNX with a manifest: what `artifacts/` holds and the API serves.

Submodules are imported directly (``from aura.export.manifest import Manifest``); this package
imports nothing on purpose, so the service can read manifests without the exporter's heavy
dependencies (scikit-learn, torch, skl2onnx).
"""
