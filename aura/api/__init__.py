"""The prediction service: FastAPI over the ONNX artifacts, importing no training library.

`aura.api.app:app` is the ASGI application (``aura serve`` runs it with uvicorn).

onnxruntime's Linux wheels (1.32 here) collect usage telemetry for upload to Microsoft unless
``ORT_DISABLE_TELEMETRY`` is set before onnxruntime starts; no call after it undoes that. The
service runs on a private network and should neither send it nor write the device id and event
store it keeps under the home folder, so the package turns it off before any of its modules
imports onnxruntime, unless the variable is already set.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
