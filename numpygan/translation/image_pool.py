"""The history buffer of generated images (Shrivastava et al. 2017, §2.3), as CycleGAN uses it."""

import json

import numpy as np


class ImagePool:
    """Up to ``size`` images generated earlier; D is trained on a mix of old and new fakes.

    ``query(images)`` (N, *image_shape) → an array of the same shape, image by image:

        while fewer than ``size`` images are stored:  store the new image and return it;
        then, with probability ½:  return a stored image chosen uniformly and store the new one in its place;
        otherwise:                 return the new image (the pool is unchanged).

    This is ``ImagePool.query`` of the CycleGAN authors' code (size 50). Showing D images
    from earlier generators keeps it from forgetting what they got wrong, which damps the
    oscillation of G and D chasing each other. ``size=0`` turns the pool off (query returns
    its input). The pool holds no parameters and takes no gradient: D's update reads the
    images, G's update never does.

    The buffer is allocated at full size, (size, *image_shape), so a checkpoint's arrays
    have the same shapes at every step; ``count`` says how many rows are filled. The pool
    draws from its own ``rng`` (``seed``), whose state, with the images and the count, is
    in ``state_dict()``, so a resumed run draws exactly what the uninterrupted one would.
    """

    def __init__(self, size=50, image_shape=(28, 28, 1), rng=None, seed=None, dtype=np.float32):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"ImagePool: argument 'size' expected an int >= 0, received {size!r}")
        image_shape = tuple(int(d) for d in image_shape)
        if not image_shape or min(image_shape) < 1:
            raise ValueError(f"ImagePool: argument 'image_shape' expected positive sizes, received {image_shape}")
        self.size, self.image_shape = int(size), image_shape
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.images = np.zeros((self.size,) + image_shape, dtype=dtype)
        self.count = 0

    def __len__(self):
        return self.count

    def query(self, images):
        """The images for D to see in place of ``images`` (N, *image_shape): see the class docstring."""
        if not isinstance(images, np.ndarray) or images.shape[1:] != self.image_shape:
            received = images.shape if isinstance(images, np.ndarray) else type(images).__name__
            raise ValueError(f"ImagePool.query: argument 'images' expected shape (N, {self.image_shape}), "
                             f"received {received}")
        if self.size == 0:
            return images
        out = np.array(images, dtype=self.images.dtype)   # a copy: the caller's array is left as it was
        for i, image in enumerate(images):
            if self.count < self.size:
                self.images[self.count] = image
                self.count += 1
            elif self.rng.random() < 0.5:
                j = self.rng.integers(0, self.size)
                out[i] = self.images[j]
                self.images[j] = image
        return out

    # -- state -------------------------------------------------------------------------------
    def state_dict(self):
        """``{"images", "count", "rng"}``: the buffer (size, *image_shape), the filled rows, the rng state (JSON)."""
        return {"images": self.images, "count": np.array(self.count, dtype=np.int64),
                "rng": np.array(json.dumps(self.rng.bit_generator.state))}

    def load_state_dict(self, state, source="state"):
        """Restore from ``state_dict()`` output; refuse, changing nothing, a buffer of another shape."""
        images, count = np.asarray(state["images"]), int(state["count"])
        if images.shape != self.images.shape:
            raise ValueError(f"ImagePool: {source} holds a pool of shape {images.shape}, expected "
                             f"{self.images.shape}")
        if not 0 <= count <= self.size:
            raise ValueError(f"ImagePool: {source} says {count} images are stored, expected 0 .. {self.size}")
        rng_state = json.loads(str(state["rng"]))
        if rng_state.get("bit_generator") != self.rng.bit_generator.state["bit_generator"]:
            raise ValueError(f"ImagePool: {source} holds a {rng_state.get('bit_generator')} generator state, "
                             f"expected {self.rng.bit_generator.state['bit_generator']}")
        self.images[...] = images
        self.count = count
        self.rng.bit_generator.state = rng_state
