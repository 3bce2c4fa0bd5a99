"""Convert the fitted pipelines to ONNX with skl2onnx, as the served models are.

`RangeScaler` is a MinMaxScaler with fixed bounds, so skl2onnx's own MinMaxScaler shape
calculator and converter handle it once registered for the class; `to_onnx` registers them and
asks for plain probability arrays (no ZipMap) from the classifier, which is what onnxruntime
callers index into.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import onnx
from sklearn.pipeline import Pipeline

from aura.export.onnx_forest import GRAPH_NAME, INPUT_NAME, OPSET
from aura.supervised.models import RangeScaler


@cache
def register_converters() -> None:
    """Teach skl2onnx to convert RangeScaler (once per process)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.scaler_op import convert_sklearn_min_max_scaler
    from skl2onnx.shape_calculators.scaler import calculate_sklearn_scaler_output_shapes

    update_registered_converter(
        RangeScaler,
        "AuraRangeScaler",
        calculate_sklearn_scaler_output_shapes,
        convert_sklearn_min_max_scaler,
    )


def to_onnx(pipeline: Pipeline) -> onnx.ModelProto:
    """ONNX model of a fitted pipeline: input `input` float32 (rows, n_features); a regressor
    outputs `variable` (rows, 1), the classifier `label` (rows,) and `probabilities` (rows, 3).

    The opsets are pinned (`OPSET`), as the policies' are: left to skl2onnx, they follow the
    installed onnx package, and a newer one could write a model an older onnxruntime cannot load.
    They are listed in the order of their domains, so the same pipeline gives the same bytes in
    every process.
    """
    from skl2onnx import to_onnx as skl_to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    register_converters()
    n_features = int(pipeline[0].n_features_in_)
    options = {id(pipeline[-1]): {"zipmap": False}} if hasattr(pipeline, "classes_") else None
    model = skl_to_onnx(
        pipeline,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        options=options,
        target_opset=OPSET,
        name=GRAPH_NAME,  # not a random one: the same pipeline, the same bytes
    )
    # skl2onnx gathers the opsets in a set, so their order followed the process's string hashes
    # and two runs of the same params wrote other bytes (and another export version).
    opsets = sorted((opset.domain, opset.version) for opset in model.opset_import)
    del model.opset_import[:]
    model.opset_import.extend(onnx.helper.make_opsetid(*opset) for opset in opsets)
    return model


def onnx_predict(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
    """Run an exported model with onnxruntime: the score (rows,) of a regressor, or the class
    probabilities (rows, n_classes) of the classifier."""
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {INPUT_NAME: np.asarray(X, dtype=np.float32)})
    return outputs[-1] if len(outputs) > 1 else outputs[0].ravel()
