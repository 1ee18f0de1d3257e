"""Models written by hand (``numpygan.model.Model``): several inputs, skip connections, nesting.

Each shows the pattern: build the parts in ``__init__`` (each ``build`` returns
its output shape), call them in ``forward``, and run their ``backward`` in the
reverse order in ``backward`` — a concatenation's gradient is split, a tensor
read by two branches gets the sum of their gradients. ``numpygan.gradcheck``
checks every one against central differences (tests/test_composed.py).
"""

import numpy as np

from .layers import Concatenate, Conv2D, Conv2DTranspose, Dense, Embedding, Flatten, LeakyReLU, ReLU
from .initializers import glorot_uniform
from .model import Model
from .models import IMAGE_SHAPE, dcgan_discriminator, dcgan_generator, layers_for, mlp_discriminator, mlp_generator
from .sequential import Sequential


class UNetBlock(Model):
    """One level of a U-Net (pix2pix, Isola et al. 2017): y = [x | up(inner(down(x)))] along the channels.

    x (N, H, W, C), H and W even:
        down   Conv2D(filters, 4×4, stride 2, same) → LeakyReLU(0.2)     (N, H/2, W/2, filters)
        inner  an optional layer or model on that (e.g. another UNetBlock: U-Nets nest level by level)
        up     Conv2DTranspose(C, 4×4, stride 2, same) → ReLU              (N, H, W, C)
        skip   Concatenate([x, up]) on the channels                       (N, H, W, 2C)

    Backward: the concatenation's gradient splits into g_skip (for x) and g_up;
    g_up flows back through up, inner and down to x as well, so
        dL/dx = g_skip + down.backward(inner.backward(up.backward(g_up))).
    """

    def __init__(self, input_shape, filters, inner=None, rng=None, seed=None, dtype=np.float32, name="unet_block"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        self.down = Sequential([Conv2D(filters, 4, 2, "same"), LeakyReLU(0.2)], name="down")
        self.inner = inner
        self.up = Sequential([Conv2DTranspose(int(input_shape[-1]), 4, 2, "same"), ReLU()], name="up")
        self.concat = Concatenate(axis=-1)
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.down.build(self.input_shape, self.rng, self.dtype)
        if inner is not None:
            shape = inner.build(shape, self.rng, self.dtype)
        shape = self.up.build(shape, self.rng, self.dtype)
        self.output_shape = self.concat.build([self.input_shape, shape], self.rng, self.dtype)

    def forward(self, x, training=False):
        h = self.down(x, training=training)
        if self.inner is not None:
            h = self.inner(h, training=training)
        return self.concat([x, self.up(h, training=training)], training)

    def backward(self, grad_out, need_input_grad=True):
        g_skip, g_up = self.concat.backward(grad_out)
        g = self.up.backward(g_up)
        if self.inner is not None:
            g = self.inner.backward(g)
        if not need_input_grad:
            self.down.backward(g, need_input_grad=False)
            return None
        return g_skip + self.down.backward(g)   # x feeds both the skip and the down path


class ConditionalGenerator(Model):
    """G(z, label) of a conditional GAN (Mirza & Osindero 2014): z (N, latent_dim), labels (N,) ints
    in [0, n_classes) → images (N, 28, 28, 1).

        e = Embedding(n_classes, embed_dim)(label)             (N, embed_dim)
        h = Concatenate([z, e])                                  (N, latent_dim + embed_dim)
        y = body(h), the MLP generator (``models.mlp_generator``) on that input

    ``body``: another generator on (N, latent_dim + embed_dim) instead of the MLP, e.g. the
    DCGAN's (``conditional_dcgan_generator``); ``dropout`` is the MLP body's rate after each
    hidden layer. ``embeddings_initializer``: the label vectors' (``Embedding``'s; ``builders`` uses N(0, 1)).

    Backward: body's dL/dh splits into dL/dz and dL/de; dL/de goes into the
    embedding table; labels get no gradient, so backward returns [dL/dz, None].
    """

    def __init__(self, latent_dim=100, n_classes=10, embed_dim=50, hidden=(256, 512, 1024), output_activation="tanh",
                 image_shape=IMAGE_SHAPE, rng=None, seed=None, dtype=np.float32, name="conditional_generator",
                 body=None, dropout=0.0, embeddings_initializer="uniform"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        self.embedding = Embedding(n_classes, embed_dim, embeddings_initializer=embeddings_initializer)
        self.concat = Concatenate()
        if body is None:
            body = mlp_generator(latent_dim + embed_dim, output_activation, dropout=dropout, hidden=hidden,
                                 image_shape=image_shape, rng=self.rng, dtype=dtype)
        elif body.input_shape != (latent_dim + embed_dim,):
            raise ValueError(f"{name}: argument 'body' must take (latent_dim + embed_dim,) = "
                             f"({latent_dim + embed_dim},), received a model on {body.input_shape}")
        self.body = body
        self.input_shape = [(int(latent_dim),), ()]
        e = self.embedding.build((), self.rng, self.dtype)
        self.concat.build([self.input_shape[0], e], self.rng, self.dtype)
        self.output_shape = self.body.output_shape

    def forward(self, z, labels, training=False):
        h = self.concat([z, self.embedding(labels, training)], training)
        return self.body(h, training=training)

    def backward(self, grad_out, need_input_grad=True):
        g_z, g_e = self.concat.backward(self.body.backward(grad_out))
        self.embedding.backward(g_e)
        return [g_z if need_input_grad else None, None]


class ConditionalDiscriminator(Model):
    """D(x, label): images (N, 28, 28, 1) and labels (N,) → one logit per image (N, 1).

        h = Concatenate([Flatten(x), Embedding(n_classes, embed_dim)(label)])
        y = Dense 512 → LeakyReLU(0.2) → Dropout → Dense 256 → LeakyReLU(0.2) → Dropout → Dense 1

    Backward returns [dL/dx, None] (None for dL/dx too with ``need_input_grad=False``).
    The body's layers are the fast twins unless ``fast=False`` (``models.layers_for``);
    ``embeddings_initializer`` as ``ConditionalGenerator``'s.
    """

    def __init__(self, n_classes=10, embed_dim=50, hidden=(512, 256), dropout=0.3, image_shape=IMAGE_SHAPE,
                 rng=None, seed=None, dtype=np.float32, name="conditional_discriminator", fast=None,
                 embeddings_initializer="uniform"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        nn = layers_for(fast)
        self.flatten = Flatten()
        self.embedding = Embedding(n_classes, embed_dim, embeddings_initializer=embeddings_initializer)
        self.concat = Concatenate()
        layers = []
        for units in hidden:
            layers += [nn.Dense(units), nn.LeakyReLU(0.2)] + ([nn.Dropout(dropout)] if dropout else [])
        self.body = Sequential(layers + [nn.Dense(1)], name="body")
        self.input_shape = [tuple(int(d) for d in image_shape), ()]
        flat = self.flatten.build(self.input_shape[0], self.rng, self.dtype)
        e = self.embedding.build((), self.rng, self.dtype)
        shape = self.concat.build([flat, e], self.rng, self.dtype)
        self.output_shape = self.body.build(shape, self.rng, self.dtype)

    def forward(self, x, labels, training=False):
        h = self.concat([self.flatten(x, training), self.embedding(labels, training)], training)
        return self.body(h, training=training)

    def backward(self, grad_out, need_input_grad=True):
        g_x, g_e = self.concat.backward(self.body.backward(grad_out))
        self.embedding.backward(g_e)
        return [self.flatten.backward(g_x) if need_input_grad else None, None]


class ProjectionDiscriminator(Model):
    """D(x, label) with a projection head (Miyato & Koyama 2018): images and labels (N,) → logits (N, 1).

        h = features(x)                          (N, F), e.g. the DCGAN critic up to its Flatten
        y = head(h) + ⟨E[label], h⟩              head: Dense(1); E: Embedding(n_classes, F)

    E starts Glorot-uniform, as the head's kernel: the projection then starts at the head's scale
    (N(0, 1) rows over F = 6,272 features would swamp it).

    The label does not enter as an input channel: it chooses a direction E[label] in D's
    feature space, and the logit gains the projection of the features onto it — for an
    image of the right class, the features should point along its class's vector.

    Backward, with g = dL/dy (N, 1):
        dL/dh = head.backward(g) + g · E[label]   (h feeds both terms: the sum of both paths)
        dL/dE[label] += g · h                      (``Embedding.backward``, a scatter-add)
        dL/dx = features.backward(dL/dh)
    Returns [dL/dx, None] (labels have no gradient; None for dL/dx too with ``need_input_grad=False``).
    """

    def __init__(self, features, n_classes=10, rng=None, seed=None, dtype=np.float32,
                 name="projection_discriminator"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        if len(features.output_shape) != 1:
            raise ValueError(f"{name}: argument 'features' must output a vector per image, received per-sample "
                             f"shape {features.output_shape}")
        self.features = features
        self.head = Dense(1)
        self.embedding = Embedding(n_classes, features.output_shape[0], embeddings_initializer=glorot_uniform)
        self.input_shape = [features.input_shape, ()]
        self.output_shape = self.head.build(features.output_shape, self.rng, self.dtype)
        self.embedding.build((), self.rng, self.dtype)

    def forward(self, x, labels, training=False):
        self._h = self.features(x, training=training)
        self._e = self.embedding(labels, training)
        return self.head(self._h, training) + np.sum(self._e * self._h, axis=1, keepdims=True)

    def backward(self, grad_out, need_input_grad=True):
        g_h = self.head.backward(grad_out) + grad_out * self._e
        self.embedding.backward(grad_out * self._h)
        return [self.features.backward(g_h, need_input_grad=need_input_grad), None]


def conditional_dcgan_generator(latent_dim=100, n_classes=10, embed_dim=50, rng=None, seed=None, dtype=np.float32,
                                embeddings_initializer="uniform", **dcgan):
    """G(z, label): ``ConditionalGenerator`` with the DCGAN generator (``models.dcgan_generator(**dcgan)``)
    as its body, on [z | Embedding(label)] (N, latent_dim + embed_dim)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    body = dcgan_generator(latent_dim + embed_dim, rng=rng, dtype=dtype, **dcgan)
    return ConditionalGenerator(latent_dim, n_classes, embed_dim, rng=rng, dtype=dtype, body=body,
                                embeddings_initializer=embeddings_initializer)


def conditional_mlp_discriminator(n_classes=10, rng=None, seed=None, dtype=np.float32, **mlp):
    """D(x, label): ``ProjectionDiscriminator`` on the MLP critic's last hidden layer
    (``models.mlp_discriminator(output="features", **mlp)``, (N, 256)): the label picks a direction in
    D's top features instead of entering beside the 784 pixels (``ConditionalDiscriminator``)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    features = mlp_discriminator(output="features", rng=rng, dtype=dtype, **mlp)
    return ProjectionDiscriminator(features, n_classes, rng=rng, dtype=dtype)


def conditional_dcgan_discriminator(n_classes=10, rng=None, seed=None, dtype=np.float32, **dcgan):
    """D(x, label): ``ProjectionDiscriminator`` on the DCGAN critic's features
    (``models.dcgan_discriminator(output="features", **dcgan)``, (N, 7·7·filters))."""
    rng = np.random.default_rng(seed) if rng is None else rng
    features = dcgan_discriminator(output="features", rng=rng, dtype=dtype, **dcgan)
    return ProjectionDiscriminator(features, n_classes, rng=rng, dtype=dtype)
