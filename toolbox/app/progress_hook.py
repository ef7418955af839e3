"""A progress bar for a Runner's training or test (``tools/demo.py``)."""
from typing import Optional

from mmengine.hooks import Hook

from toolbox.progress import progress_bar


class ProgressHook(Hook):
    """A tqdm bar over the training iterations or the test images of one
    step (hidden when stderr is not a terminal)."""

    priority = 'VERY_LOW'

    def __init__(self, desc: str, position: Optional[int] = None):
        self.desc = desc
        self.position = position  # the bar's row when several draw at once
        self.bar = None

    def _open(self, total: int, unit: str) -> None:
        self.bar = progress_bar(total=total, desc=self.desc, unit=unit,
                                leave=self.position is None,
                                position=self.position, dynamic_ncols=True)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def before_train(self, runner) -> None:
        self._open(runner.max_iters - runner.iter, 'it')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            loss = (outputs or {}).get('loss')
            if loss is not None and hasattr(loss, 'item'):
                self.bar.set_postfix(loss=f'{loss.item():.4f}',
                                     refresh=False)

    def after_train(self, runner) -> None:
        self._close()

    def before_test(self, runner) -> None:
        loop = runner.test_loop
        loaders = getattr(loop, 'dataloaders', [loop.dataloader])
        self._open(sum(len(d.dataset) for d in loaders), 'img')

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        if self.bar is not None:
            self.bar.update(len(outputs or [None]))

    def after_test(self, runner) -> None:
        self._close()


__all__ = ['ProgressHook']
