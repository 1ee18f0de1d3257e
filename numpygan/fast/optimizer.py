"""How the fast optimizers run an update: in place, in cache-sized blocks, large parameters on several threads."""

import numpy as np

from ..runtime.parallel import get_num_threads, map_rows


class BlockedUpdates:
    """Mixin for an ``Optimizer`` subclass: ``step()`` runs ``_update_block`` instead of ``_update``.

    ``_update_block(theta, g, *slots, scratch)`` is the same rule as the
    reference's ``_update``, written as in-place passes (``out=``) with one
    preallocated scratch array per parameter, so a step allocates nothing.
    ``step()`` hands it flat blocks of ``block_size`` elements: every pass over a
    block then runs in the CPU's cache instead of streaming whole arrays through
    memory a dozen times. A large parameter is split in row blocks
    (``numpygan.runtime.parallel.map_rows``) updated on separate cores when more
    than one thread is allowed. Elements never depend on each other, so the
    blocking changes nothing in the result.
    """

    block_size = 32768
    parallel_block_size = 131072
    """With several threads, larger blocks: each pass hands the GIL over less often."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scratch = {n: np.empty_like(p.value) for n, p in self.params.items()}

    def step(self):
        self.iterations += 1
        for arrays in self._flat_arrays():
            map_rows(self._update_in_blocks, *arrays)   # large parameters: row blocks on several cores

    def _flat_arrays(self):
        """Per parameter ``(theta, g, *slots, scratch)``, flattened (views) where all are contiguous."""
        for name, p in self.params.items():
            arrays = (p.value, p.grad, *(self.slots[s][name] for s in self.slot_names), self._scratch[name])
            if all(a.flags.c_contiguous for a in arrays):
                arrays = tuple(a.reshape(-1) for a in arrays)
            # else reshape(-1) would copy, and the in-place update would be lost: rows as they are
            yield arrays

    def _update_in_blocks(self, *arrays):
        """``_update_block`` on consecutive slices of aligned arrays, ``block_size`` elements each."""
        block = self.block_size if get_num_threads() == 1 else self.parallel_block_size
        for start in range(0, len(arrays[0]), block):
            self._update_block(*(a[start:start + block] for a in arrays))

    def _update_block(self, theta, g, *slots_and_scratch):
        raise NotImplementedError
