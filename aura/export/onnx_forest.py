"""Random-forest pipelines to ONNX with skl2onnx, and the parity check against scikit-learn.

Trees compare float32 features in scikit-learn too, so a float32 ONNX input reproduces every
split; only the summation of leaf values differs in rounding, which the parity check bounds.
Classifiers are exported without the ZipMap step so probabilities come out as a plain
(rows, classes) array in ``classes_`` order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

OPSET = {"": 17, "ai.onnx.ml": 3}
"""Opsets of every exported forest (the highest skl2onnx may use; the default domain's is the
policies' 17)."""
INPUT_NAME = "input"
"""Name of the single float tensor input (rows, features) of every exported model."""
GRAPH_NAME = "aura_forest"
"""The graph's name, set rather than left to skl2onnx: its `convert_sklearn` names a graph by a
random UUID unless told (the same forest would give other bytes on every export, and the export's
version, a hash of the files, would change with no model changed), and `to_onnx`'s own default
("ONNX(Pipeline)") is a detail of the library's version."""


def final_estimator(model: Any) -> Any:
    """The last step of a Pipeline, or the model itself."""
    return model.steps[-1][1] if hasattr(model, "steps") else model


def is_classifier(model: Any) -> bool:
    """Whether a model (or a pipeline's last step) predicts classes."""
    return hasattr(final_estimator(model), "classes_")


def forest_to_onnx(model: Any) -> bytes:
    """Serialised ONNX model of a fitted AURA pipeline (`aura.supervised.convert.to_onnx`), with
    one float input ``input`` of shape (rows, n_features)."""
    from aura.supervised.convert import to_onnx

    return to_onnx(model).SerializeToString()


def forest_parity(model: Any, onnx_bytes: bytes, X: Any) -> dict[str, float]:
    """Largest absolute difference between ONNX and scikit-learn on ``X`` (held-out rows):
    predictions for a regressor, class probabilities (and label agreement) for a classifier."""
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {INPUT_NAME: np.asarray(X, dtype=np.float32)})
    if is_classifier(model):
        native = model.predict_proba(X)
        probs = outputs[1]
        return {
            "rows": float(len(X)),
            "max_abs_diff": float(np.max(np.abs(probs - native))),
            "label_agreement": float(np.mean(probs.argmax(1) == native.argmax(1))),
        }
    native = model.predict(X)
    return {
        "rows": float(len(X)),
        "max_abs_diff": float(np.max(np.abs(outputs[0].ravel() - native))),
    }
