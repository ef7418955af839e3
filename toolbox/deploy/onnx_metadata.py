"""What an exported ONNX file says about itself (its ``metadata_props``).

``tools/export.py`` writes these keys into the model's ``metadata_props``
(strings, as ONNX stores them) and the ONNX Runtime runner reads them, so a
file can be used without the config it came from:

=============================  ==============================================
key                            meaning
=============================  ==============================================
``toolbox.format``             version of this set of keys (``1``)
``toolbox.value_range``        the network's range of input and output,
                               ``[0,1]`` (``x / 255``) or ``[-1,1]``
                               (``x / 127.5 - 1``)
``toolbox.channel_order``      ``RGB``
``toolbox.layout``             ``NCHW``, float32
``toolbox.pad_size_divisor``   the graph pads H and W (bottom, right) to a
                               multiple of this and crops its output back
``toolbox.pad_mode``           that padding (``reflect``, as the data
                               preprocessor)
``toolbox.min_side``           sides below this cannot be padded in the
                               graph (reflect needs a pad smaller than the
                               side): pad them first (replicate) to the
                               divisor, as the data preprocessor does
``toolbox.instance_norm``      ``true`` if the network normalises by its
                               input's statistics (tiles then each use
                               their own)
``toolbox.model``              the algorithm and ``toolbox.network`` the
                               exported network's class
``toolbox.config``,            where the weights came from
``toolbox.checkpoint``
``toolbox.opset``              the ONNX opset
``toolbox.max_abs_diff``       the largest difference from PyTorch measured
                               at export, in grey levels of the 8-bit
                               output, and ``toolbox.tolerance`` the bound
                               it had to meet; ``toolbox.check`` the image
=============================  ==============================================
"""
from dataclasses import asdict, dataclass, fields
from typing import Dict, Optional, get_args, get_type_hints

PREFIX = 'toolbox.'
FORMAT_VERSION = 1
VALUE_RANGES = {'[0,1]': (255.0, 0.0), '[-1,1]': (127.5, -1.0)}


def _parse(kind, text: str):
    """A ``metadata_props`` string as the field's type (``Optional[float]``
    as float, booleans as ``true``/``false``)."""
    kind = next((a for a in get_args(kind) if a is not type(None)), kind)
    if kind is bool:
        return text == 'true'
    return kind(text)


class MetadataError(ValueError):
    """An ONNX file without (or with unusable) toolbox metadata."""


@dataclass
class ExportMetadata:
    """The metadata of an exported file (see the module's table)."""
    value_range: str
    pad_size_divisor: int = 1
    pad_mode: str = 'reflect'
    min_side: int = 1
    instance_norm: bool = False
    channel_order: str = 'RGB'
    layout: str = 'NCHW'
    model: str = ''
    network: str = ''
    config: str = ''
    checkpoint: str = ''
    opset: int = 0
    max_abs_diff: Optional[float] = None
    tolerance: Optional[float] = None
    check: str = ''
    format: int = FORMAT_VERSION

    @property
    def scale_offset(self):
        """``(scale, offset)`` with ``network = pixel / scale + offset``."""
        return VALUE_RANGES[self.value_range]

    def to_props(self) -> Dict[str, str]:
        """The ``metadata_props`` entries (``toolbox.<field>``: string)."""
        props = {}
        for key, value in asdict(self).items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            props[PREFIX + key] = str(value)
        return props

    @classmethod
    def from_props(cls, props: Dict[str, str],
                   source: str = 'the ONNX file') -> 'ExportMetadata':
        """Read the entries back; :class:`MetadataError` naming ``source``
        if the file was not written by ``tools/export.py`` or its
        value range is unknown."""
        if PREFIX + 'value_range' not in props:
            raise MetadataError(
                f'{source} has no {PREFIX}value_range metadata: it was not '
                'written by tools/export.py, so its value range and padding '
                'are unknown (export it with tools/export.py, or pass the '
                'config)')
        hints = get_type_hints(cls)
        values = {
            field.name: _parse(hints[field.name], props[PREFIX + field.name])
            for field in fields(cls) if PREFIX + field.name in props
        }
        meta = cls(**values)
        if meta.value_range not in VALUE_RANGES:
            raise MetadataError(
                f'{source}: {PREFIX}value_range must be one of '
                f'{tuple(VALUE_RANGES)}, got {meta.value_range!r}')
        if meta.format > FORMAT_VERSION:
            raise MetadataError(
                f'{source} has metadata format {meta.format}; this toolbox '
                f'reads up to {FORMAT_VERSION} (update the toolbox)')
        return meta


__all__ = ['ExportMetadata', 'MetadataError', 'PREFIX', 'FORMAT_VERSION',
           'VALUE_RANGES']
