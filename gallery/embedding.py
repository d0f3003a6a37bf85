"""Photo bytes -> gallery vector, exactly as checkout photos are embedded (the engine's crop rule)."""

from __future__ import annotations

from recognition import conf, runtime
from recognition.engine.images import decode_image
from recognition.engine.indexing import ReferenceEmbedding, embed_references


def embed_photo(data: bytes) -> ReferenceEmbedding:
    """Decode (raises ``ImageError``) on this thread, then embed by the crop rule on the engine thread."""
    image = decode_image(data, **conf.decode_limits())
    rule = conf.crop_rule()
    (embedded,) = runtime.run(lambda models: embed_references(models, [image], rule))
    return embedded
