"""AURA: adaptive tutoring research kit.

onnxruntime's Linux wheels (1.32 here) collect usage telemetry for upload to Microsoft unless
``ORT_DISABLE_TELEMETRY`` is set before onnxruntime starts; no call after it undoes that. AURA
runs on private networks and machines that reach package registries alone, and should neither
send it nor write the device id and event store it keeps under the home folder: the package
turns it off before any of its modules imports onnxruntime (the service, the export, the
supervised models' conversion checks, the notebooks), unless the variable is already set.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
