"""The published hybrid systems, one sub-package each with the same file names (model,
training, bundle, stream, evaluation, report): ``gesture`` (H1) and ``pose`` (H2); ``common``
and ``plots`` hold what they share."""

__all__: list[str] = []
