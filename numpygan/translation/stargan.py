"""StarGAN's networks (Choi et al. 2018): one generator G(x, c) for every domain, and a D that also classifies.

``StarGANGenerator``      G(x, c): image x and target-domain label c → x translated into domain c
``StarGANDiscriminator``  D(x) → (D_src(x), D_cls(x)): a map of real/fake logits and n_domains domain logits

The paper's networks for 128×128 images, scaled down to 28×28 and a CPU:

    paper G:  Conv 7×7 64 → Conv 4×4 s2 128 → Conv 4×4 s2 256 → 6 × ResidualBlock(256)
              → ConvT 4×4 s2 128 → ConvT 4×4 s2 64 → Conv 7×7 3 → tanh        (InstanceNorm + ReLU between)
    here:     the same layers with ``filters`` = 16 in place of 64 (16, 32, 64 channels) and
              ``n_residual`` = 3 blocks: 28×28 → 14×14 → 7×7 → … → 28×28
    paper D:  6 × (Conv 4×4 s2 → LeakyReLU(0.01)), 64 … 2048 channels, 128×128 → 2×2;
              D_src Conv 3×3 s1 → 1 channel, D_cls Conv with the whole 2×2 map as kernel → n_domains
    here:     ``filters`` = (32, 64, 128): 28×28 → 14 → 7 → 4×4; D_src a 4×4 map of patch logits,
              D_cls a 4×4 'valid' convolution → (N, n_domains) logits
"""

import numpy as np

from ..layers import Concatenate, Flatten
from ..model import Model
from ..models import layers_for
from ..sequential import Sequential
from .residual import ResidualBlock


def domain_maps(labels, n_domains, spatial_shape, dtype):
    """The one-hot code of each label, repeated over the image: (N, H, W, n_domains), 1 at channel labels[n].

    ``labels``: integers (N,) in [0, n_domains). Bad labels are refused in one line before any work.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"StarGANGenerator: argument 'labels' expected integer domain labels of shape (N,), "
                         f"received {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_domains):
        raise ValueError(f"StarGANGenerator: argument 'labels' expected domains in [0, {n_domains}), "
                         f"received values in [{labels.min()}, {labels.max()}]")
    maps = np.zeros((len(labels),) + tuple(spatial_shape) + (n_domains,), dtype=dtype)
    maps[np.arange(len(labels)), ..., labels] = 1
    return maps


class StarGANGenerator(Model):
    """G(x, c): x (N, H, W, C) in [-1, 1] and target domains c (N,) ints → images (N, H, W, C) in [-1, 1].

        h = Concatenate([x, onehot(c) repeated over H×W])              (N, H, W, C + n_domains)
        Conv2D(f, 7×7, s1) → IN → ReLU                                  (N, H, W, f)
        Conv2D(2f, 4×4, s2) → IN → ReLU → Conv2D(4f, 4×4, s2) → IN → ReLU     (N, H/4, W/4, 4f)
        n_residual × ResidualBlock(4f)
        Conv2DTranspose(2f, 4×4, s2) → IN → ReLU → Conv2DTranspose(f, 4×4, s2) → IN → ReLU
        Conv2D(C, 7×7, s1) → tanh                                       (N, H, W, C)

    IN is InstanceNormalization (affine, as in the paper); the convolutions before it have
    no bias (IN subtracts the per-map mean, which cancels a bias). Weights N(0, 0.02²).
    H and W must be multiples of 4.

    Backward: the body's dL/dh splits at the concatenation into dL/dx and the part of the
    label maps, which are data; ``backward`` returns [dL/dx, None] (labels have no gradient).
    """

    def __init__(self, image_shape=(28, 28, 1), n_domains=3, filters=16, n_residual=3, rng=None, seed=None,
                 dtype=np.float32, fast=None, name="stargan_generator"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        image_shape = tuple(int(d) for d in image_shape)
        if len(image_shape) != 3 or image_shape[0] % 4 or image_shape[1] % 4:
            raise ValueError(f"StarGANGenerator: argument 'image_shape' expected (H, W, C) with H and W multiples "
                             f"of 4, received {image_shape}")
        for arg, value, least in (("n_domains", n_domains, 2), ("filters", filters, 1), ("n_residual", n_residual, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"StarGANGenerator: argument {arg!r} expected an int >= {least}, received {value!r}")
        nn = layers_for(fast)
        self.n_domains, self.filters, self.n_residual = int(n_domains), int(filters), int(n_residual)
        f, channels = self.filters, image_shape[-1]

        def conv(cls, units, kernel, stride):
            return [cls(units, kernel, stride, "same", kernel_initializer="normal", use_bias=False),
                    nn.InstanceNormalization(), nn.ReLU()]

        self.concat = Concatenate(axis=-1)
        self.down = Sequential(conv(nn.Conv2D, f, 7, 1) + conv(nn.Conv2D, 2 * f, 4, 2) + conv(nn.Conv2D, 4 * f, 4, 2),
                               name="down")
        self.input_shape = [image_shape, ()]
        shape = self.concat.build([image_shape, image_shape[:2] + (self.n_domains,)], self.rng, self.dtype)
        shape = self.down.build(shape, self.rng, self.dtype)
        self.blocks = [ResidualBlock(shape, rng=self.rng, dtype=self.dtype, fast=fast, name=f"residual_{i}")
                       for i in range(self.n_residual)]
        self.up = Sequential(conv(nn.Conv2DTranspose, 2 * f, 4, 2) + conv(nn.Conv2DTranspose, f, 4, 2)
                             + [nn.Conv2D(channels, 7, 1, "same", kernel_initializer="normal"), nn.Tanh()], name="up")
        self.output_shape = self.up.build(shape, self.rng, self.dtype)

    def forward(self, x, labels, training=False):
        h = self.concat([x, domain_maps(labels, self.n_domains, x.shape[1:3], x.dtype)], training)
        h = self.down(h, training=training)
        for block in self.blocks:
            h = block(h, training=training)
        return self.up(h, training=training)

    def backward(self, grad_out, need_input_grad=True):
        g = self.up.backward(grad_out)
        for block in reversed(self.blocks):
            g = block.backward(g)
        if not need_input_grad:
            self.down.backward(g, need_input_grad=False)
            return [None, None]
        g_x, _ = self.concat.backward(self.down.backward(g))    # the label maps are data
        return [g_x, None]


class StarGANDiscriminator(Model):
    """D(x) = (D_src(x), D_cls(x)): x (N, H, W, C) → a map of real/fake logits (N, H', W', 1) and
    domain logits (N, n_domains), from one shared trunk.

        trunk   Conv2D(filters[i], 4×4, s2, same) → LeakyReLU(0.01)   for each i   (N, H', W', filters[-1])
        D_src   Conv2D(1, 3×3, s1, same)                                          (N, H', W', 1)
        D_cls   Conv2D(n_domains, H'×W', valid) → Flatten                          (N, n_domains)

    No normalisation (as in the paper, whose D had none under WGAN-GP; here it also keeps D's
    samples independent, so real and fake images share one pass). Weights N(0, 0.02²).

    ``backward((g_src, g_cls))``: either part may be None (that head gets no gradient); the
    trunk receives the sum of both heads' gradients, since it feeds both:
        dL/dh = D_src.backward(g_src) + D_cls.backward(g_cls);   returns dL/dx (None with
        ``need_input_grad=False``).
    """

    def __init__(self, image_shape=(28, 28, 1), n_domains=3, filters=(32, 64, 128), rng=None, seed=None,
                 dtype=np.float32, fast=None, name="stargan_discriminator"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        filters = tuple(int(f) for f in filters)
        if not filters or min(filters) < 1:
            raise ValueError(f"StarGANDiscriminator: argument 'filters' expected one or more positive channel "
                             f"counts, received {filters}")
        if isinstance(n_domains, bool) or not isinstance(n_domains, (int, np.integer)) or n_domains < 2:
            raise ValueError(f"StarGANDiscriminator: argument 'n_domains' expected an int >= 2, received {n_domains!r}")
        nn = layers_for(fast)
        self.n_domains = int(n_domains)
        layers = []
        for f in filters:
            layers += [nn.Conv2D(f, 4, 2, "same", kernel_initializer="normal"), nn.LeakyReLU(0.01)]
        self.trunk = Sequential(layers, name="trunk")
        self.input_shape = tuple(int(d) for d in image_shape)
        shape = self.trunk.build(self.input_shape, self.rng, self.dtype)
        self.src = Sequential([nn.Conv2D(1, 3, 1, "same", kernel_initializer="normal")], name="src")
        self.cls = Sequential([nn.Conv2D(self.n_domains, tuple(shape[:2]), 1, "valid", kernel_initializer="normal"),
                               Flatten()], name="cls")
        self.output_shape = [self.src.build(shape, self.rng, self.dtype), self.cls.build(shape, self.rng, self.dtype)]

    def forward(self, x, training=False):
        h = self.trunk(x, training=training)
        return self.src(h, training=training), self.cls(h, training=training)

    def backward(self, grad_out, need_input_grad=True):
        g_src, g_cls = grad_out
        if g_src is None and g_cls is None:
            raise ValueError("StarGANDiscriminator.backward: argument 'grad_out' expected (g_src, g_cls) with at "
                             "least one array, received (None, None)")
        g = 0
        if g_src is not None:
            g = g + self.src.backward(g_src)
        if g_cls is not None:
            g = g + self.cls.backward(g_cls)
        return self.trunk.backward(g, need_input_grad=need_input_grad)
