"""Dense networks: the ANN halves of the hybrids and the ANN baselines (:mod:`.model`, torch)
and how they run for inference (:mod:`.runtime`: torch or their ONNX files on onnxruntime)."""

__all__: list[str] = []
