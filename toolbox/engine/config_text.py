"""A config whose formatted text is computed once per content.

MMEngine's ``Config.pretty_text`` formats the whole config with yapf every
time it is read, and a Runner reads it at least four times before the
first iteration (the log, ``dump_config``, the visualizer's copy of the
config, ``RuntimeInfoHook``) and once more in every checkpoint it saves.
yapf takes 0.15 s (the DCD-GAN demo config) to 0.3 s (the Uni-Removal DA
demo) per read on one Intel Xeon core, several times that on a busy one:
the test suite, which builds a Runner for every tool test, went from 783
to 573 s on 2 cores with this class alone. :class:`TextOnceConfig` keeps
the text of the last content it formatted, so the text is always that of
the config as it is now, and formatting happens only when the config
changed.
"""
from mmengine.config import Config


class TextOnceConfig(Config):
    """:class:`~mmengine.config.Config` whose :attr:`pretty_text` is
    formatted once per content (module docstring); otherwise the same
    class (copies keep the subclass and its cache, pickles the subclass;
    dumps write the cached text)."""

    @property
    def pretty_text(self) -> str:
        # The formatted text depends on the entries and on this switch
        # only (Config.pretty_text); their repr takes about a millisecond,
        # yapf tenths of a second.
        key = (repr(self._cfg_dict.to_dict()), self._format_python_code)
        cached = self.__dict__.get('_text_once')
        if cached is None or cached[0] != key:
            cached = (key, Config.pretty_text.fget(self))
            # Config.__setattr__ would store it as a config entry.
            object.__setattr__(self, '_text_once', cached)
        return cached[1]

    @classmethod
    def of(cls, cfg: Config) -> 'TextOnceConfig':
        """A shallow copy of ``cfg`` as a :class:`TextOnceConfig` (``cfg``
        itself is left as it is)."""
        if isinstance(cfg, cls):
            return cfg
        text_once = cls.__new__(cls)
        text_once.__dict__.update(cfg.__dict__)
        return text_once


__all__ = ['TextOnceConfig']
