"""Where one GAN iteration's time goes, by kind of work, numpygan next to PyTorch.

    python benchmarks/breakdown.py                        # MLP GAN, batch 128, 1 thread, then 2
    python benchmarks/breakdown.py --model dcgan --threads 2 --repeats 6

``run.py`` says how fast an iteration is; this says why. The same iteration
(``GANTrainer.train_step`` and ``torch_reference.make_train_step``, the models
and inputs of ``run.py``) runs in one worker process per framework:

* numpygan: every layer's ``forward``/``backward``, both optimizers' ``step``
  and the loss functions are wrapped with timers; the time is summed per layer
  type (a Dense row is its matrix products plus its bias add and bias-gradient
  sum). What no timer saw (drawing z, stacking [x; G(z)], Python between the
  calls) is "rest".
* PyTorch: ``torch.profiler``'s self CPU time per operator, grouped: matrix
  products (``mm``, ``addmm``, the convolutions with their own data movement;
  ``addmm`` includes the bias), the
  optimizer (``Optimizer.step`` with everything it calls), Dropout's
  ``bernoulli_``; the remainder is "rest". The profiler adds some overhead;
  both the profiled and the plain iteration times are printed.

For the MLP GAN it also times the iteration's matrix products alone, back to
back with warm caches, in NumPy (its BLAS) and in PyTorch (``torch.mm``, its
BLAS): the same shapes and operand layouts as inside the iteration, so the
difference is the two BLAS libraries' and nothing else.

Then the budget: the ratio target of issue 6 (numpygan ≤ 0.8 × PyTorch's plain
iteration time), what that leaves numpygan after its own matrix products, and
the least time its optimizer can take on this machine: Adam reads θ, g, m, v
and writes θ, m, v, 28 bytes per float32 parameter, at the copy bandwidth
measured in the same worker (with the same thread count).
"""

import argparse
import collections
import os
import statistics
import sys
import time

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:  # `python benchmarks/x.py`: make `benchmarks` and `numpygan` importable
    sys.path.insert(0, _REPO_ROOT)

ADAM_BYTES_PER_PARAMETER = 7 * 4
"""θ, g, m, v read and θ, m, v written, float32."""


def _timed(totals, label, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - start
    return wrapper


def numpygan_breakdown(model, batch, repeats, warmup=3):
    """{category: ms per iteration} inside numpygan's ``train_step``, plus the plain iteration time."""
    from benchmarks.common import time_calls
    from benchmarks.run import make_numpygan_step

    step, trainer = make_numpygan_step(model, batch)
    plain = statistics.median(time_calls(step, repeats, warmup))
    totals = collections.defaultdict(float)
    # instance attributes shadow the class methods: the trainer's calls go through the timers
    for network in (trainer.generator, trainer.discriminator):
        for layer in network.layers:
            label = type(layer).__name__
            layer.forward = _timed(totals, label, layer.forward)
            layer.backward = _timed(totals, label, layer.backward)
    for optimizer in (trainer.g_optimizer, trainer.d_optimizer):
        optimizer.step = _timed(totals, f"optimizer ({type(optimizer).__name__})", optimizer.step)
    objective = trainer.objective
    for name in ("discriminator_real", "discriminator_fake", "generator"):
        setattr(objective, name, _timed(totals, "loss", getattr(objective, name)))
    for _ in range(warmup):
        step()
    totals.clear()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    profiled = (time.perf_counter() - start) / repeats
    parts = {label: 1e3 * seconds / repeats for label, seconds in totals.items()}
    parameters = sum(p.size for p in trainer.g_optimizer.params.values())
    parameters += sum(p.size for p in trainer.d_optimizer.params.values())
    return {"parts": parts, "profiled_ms": 1e3 * profiled, "plain_ms": 1e3 * plain, "parameters": parameters}


# a transposed convolution runs inside aten::_convolution (oneDNN, no operator of its own)
TORCH_MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::_convolution", "aten::mkldnn_convolution",
                    "aten::convolution_backward", "aten::slow_conv_transpose2d",
                    "aten::slow_conv_transpose2d_backward", "aten::_slow_conv2d_forward",
                    "aten::_slow_conv2d_backward")


def torch_breakdown(model, batch, repeats, threads, warmup=3):
    """{category: ms per iteration} of PyTorch's iteration from its profiler, plus the plain iteration time."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.common import time_calls
    from benchmarks.torch_reference import make_train_step

    torch.set_num_threads(threads)
    step = make_train_step(model, batch)
    plain = statistics.median(time_calls(step, repeats, warmup))
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(repeats):
            step()
    profiled = (time.perf_counter() - start) / repeats
    events = prof.key_averages()
    matmul = sum(e.self_cpu_time_total for e in events if e.key in TORCH_MATMUL_OPS)
    optimizer = sum(e.cpu_time_total for e in events if e.key.startswith("Optimizer.step#"))
    dropout = sum(e.self_cpu_time_total for e in events if e.key == "aten::bernoulli_")
    # profiler times are in microseconds
    parts = {"matrix products": matmul / 1e3 / repeats, "optimizer (Adam)": optimizer / 1e3 / repeats,
             "Dropout (bernoulli_)": dropout / 1e3 / repeats}
    return {"parts": parts, "profiled_ms": 1e3 * profiled, "plain_ms": 1e3 * plain, "version": torch.__version__}


def mlp_products(generator, discriminator, batch):
    """The (label, m, k, n, a_transposed, b_transposed) matrix products of one MLP GAN iteration.

    D step: G forward on b rows; D forward on 2b rows, dW and dx (not for the first
    layer) on 2b rows. G step: G forward on b rows; D forward and dx (all layers)
    on b rows; G dW and dx (not for the first layer) on b rows. As in ``run.py``'s
    FLOP count; dW = xᵀG reads x transposed, dx = G Wᵀ reads W transposed.
    """
    def dense_shapes(model):
        return [layer.kernel.shape for layer in model.layers if hasattr(layer, "kernel")]

    g, d = dense_shapes(generator), dense_shapes(discriminator)
    products = []
    for rows in (batch, batch):                                   # G(z) in the D step and in the G step
        products += [("G forward", rows, i, o, False, False) for i, o in g]
    for rows in (2 * batch, batch):                               # D on [x; G(z)], then on G(z)
        products += [("D forward", rows, i, o, False, False) for i, o in d]
    products += [("D dW", i, 2 * batch, o, True, False) for i, o in d]
    products += [("D dx", 2 * batch, o, i, False, True) for i, o in d[1:]]
    products += [("D dx", batch, o, i, False, True) for i, o in d]
    products += [("G dW", i, batch, o, True, False) for i, o in g]
    products += [("G dx", batch, o, i, False, True) for i, o in g[1:]]
    return products


def time_products(framework, products, threads, repeats=20):
    """Median ms of each product, alone and warm, in NumPy or in PyTorch; operands laid out as in training."""
    import numpy as np

    from benchmarks.common import time_calls

    rng = np.random.default_rng(0)

    def operand(rows, cols, transposed):
        # a transposed operand is the .T view of a C-contiguous array, as x.T and W.T are in Dense
        if transposed:
            return rng.standard_normal((cols, rows)).astype(np.float32).T
        return rng.standard_normal((rows, cols)).astype(np.float32)

    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    times = []
    for _, m, k, n, a_t, b_t in products:
        a, b = operand(m, k, a_t), operand(k, n, b_t)
        out = np.empty((m, n), np.float32)
        if framework == "torch":
            a, b, out = (torch.from_numpy(a.T).T if a_t else torch.from_numpy(a),
                         torch.from_numpy(b.T).T if b_t else torch.from_numpy(b), torch.from_numpy(out))
            call = lambda: torch.mm(a, b, out=out)  # noqa: E731
        else:
            call = lambda: np.matmul(a, b, out=out)  # noqa: E731
        times.append(1e3 * statistics.median(time_calls(call, repeats, warmup=2)))
    return times


def copy_bandwidth_gbs(threads, megabytes=256, repeats=5):
    """Read + write GB/s of a copy between two arrays far larger than the caches, on ``threads`` threads."""
    import numpy as np

    from benchmarks.common import time_calls
    from numpygan.runtime.parallel import map_rows, set_num_threads

    set_num_threads(threads)
    source = np.ones(megabytes * 2 ** 20 // 4, np.float32).reshape(-1, 1024)
    target = np.empty_like(source)
    seconds = min(time_calls(lambda: map_rows(np.copyto, target, source), repeats, warmup=1))
    return 2 * source.nbytes / seconds / 1e9


def _products_worker(conn, framework, products, threads):
    try:
        conn.send(time_products(framework, products, threads))
    except Exception as err:
        conn.send(("error", f"{type(err).__name__}: {err}"))


def _worker(conn, framework, model, batch, repeats, threads):
    try:
        from numpygan.runtime.memory import keep_freed_memory

        keep_freed_memory()   # as run.py's workers and `numpygan train` do
        if framework == "numpygan":
            result = numpygan_breakdown(model, batch, repeats)
            result["copy_gbs"] = copy_bandwidth_gbs(threads)
            if model == "mlp":
                from benchmarks.run import make_numpygan_step

                _, trainer = make_numpygan_step(model, batch)
                result["products"] = mlp_products(trainer.generator, trainer.discriminator, batch)
        else:
            result = torch_breakdown(model, batch, repeats, threads)
        conn.send(result)
    except Exception as err:  # report to the parent instead of dying silently
        conn.send(("error", f"{type(err).__name__}: {err}"))


MATRIX_LAYERS = ("Dense", "Conv2D", "Conv2DTranspose")


def format_products(products, ours, theirs):
    """The products alone: per kind, and the total, for NumPy and (if timed) PyTorch."""
    kinds = {}
    for (label, *_), a, b in zip(products, ours, theirs or [None] * len(ours)):
        kinds.setdefault(label, [0.0, 0.0])
        kinds[label][0] += a
        kinds[label][1] += b or 0.0
    flops = sum(2 * m * k * n for _, m, k, n, _, _ in products)
    total = sum(ours)
    lines = [f"The iteration's {len(products)} matrix products alone, warm, back to back ({flops / 1e9:.2f} GFLOP):"]
    for label, (a, b) in kinds.items():
        lines.append(f"  {label:<12} numpy {a:6.2f} ms" + (f"   torch {b:6.2f} ms" if theirs else ""))
    line = f"  {'total':<12} numpy {total:6.2f} ms ({flops / total / 1e6:.0f} GFLOP/s)"
    if theirs:
        line += f"   torch {sum(theirs):6.2f} ms ({flops / sum(theirs) / 1e6:.0f} GFLOP/s)"
    lines.append(line)
    return "\n".join(lines)


def format_breakdown(ours, theirs, threads, target=0.8):
    lines = []
    parts = sorted(ours["parts"].items(), key=lambda item: -item[1])
    matmul = sum(ms for label, ms in parts if label in MATRIX_LAYERS)
    lines.append(f"numpygan, {threads} thread(s): {ours['plain_ms']:.1f} ms per iteration "
                 f"({ours['profiled_ms']:.1f} with timers)")
    for label, ms in parts:
        lines.append(f"  {label:<26} {ms:7.2f} ms  {100 * ms / ours['profiled_ms']:4.0f}%")
    rest = ours["profiled_ms"] - sum(ms for _, ms in parts)
    lines.append(f"  {'rest':<26} {rest:7.2f} ms  {100 * rest / ours['profiled_ms']:4.0f}%")
    adam_floor = ours["parameters"] * ADAM_BYTES_PER_PARAMETER / (ours["copy_gbs"] * 1e9) * 1e3
    if theirs is None:
        lines.append("PyTorch: not installed, no comparison (it is optional)")
        return "\n".join(lines)
    lines.append(f"PyTorch {theirs['version']}, {threads} thread(s): {theirs['plain_ms']:.1f} ms per iteration "
                 f"({theirs['profiled_ms']:.1f} profiled)")
    other = theirs["profiled_ms"] - sum(theirs["parts"].values())
    for label, ms in list(theirs["parts"].items()) + [("rest", other)]:
        lines.append(f"  {label:<26} {ms:7.2f} ms  {100 * ms / theirs['profiled_ms']:4.0f}%")
    allowed = target * theirs["plain_ms"]
    lines.append(f"Ratio now {ours['plain_ms'] / theirs['plain_ms']:.2f}; {target} × PyTorch = {allowed:.1f} ms, "
                 f"of which numpygan's matrix-product layers take {matmul:.1f} (PyTorch's products: "
                 f"{theirs['parts']['matrix products']:.1f}), leaving {allowed - matmul:.1f} ms for everything else, "
                 f"which takes {ours['profiled_ms'] - matmul:.1f} now.")
    lines.append(f"Adam's least time here: {ours['parameters'] / 1e6:.2f} M parameters × "
                 f"{ADAM_BYTES_PER_PARAMETER} B at the measured copy bandwidth {ours['copy_gbs']:.1f} GB/s = "
                 f"{adam_floor:.1f} ms.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Where a GAN iteration's time goes, numpygan next to PyTorch.")
    parser.add_argument("--model", choices=("mlp", "dcgan"), default="mlp")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=None, help="timed iterations (default 30 MLP, 5 DCGAN)")
    args = parser.parse_args(argv)
    for name, value in (("--batch", args.batch), ("--repeats", args.repeats)):
        if value is not None and value < 1:
            parser.error(f"argument {name}: must be >= 1, received {value}")
    if any(t < 1 for t in args.threads):
        parser.error(f"argument --threads: every count must be >= 1, received {args.threads}")
    repeats = args.repeats or (30 if args.model == "mlp" else 5)

    import multiprocessing

    from benchmarks.common import blas_report, load_text, machine_description
    from benchmarks.run import run_in_worker, set_threads
    from benchmarks.torch_reference import torch_available

    context = multiprocessing.get_context("spawn")
    print(machine_description())
    print("\n".join(blas_report()))
    print(f"{args.model} GAN, batch {args.batch}, {repeats} iterations after 3 warm-up; load {load_text()}")
    for threads in args.threads:
        set_threads(threads)
        ours = run_in_worker(context, _worker, "numpygan", args.model, args.batch, repeats, threads)
        theirs = (run_in_worker(context, _worker, "torch", args.model, args.batch, repeats, threads)
                  if torch_available() else None)
        print()
        print(format_breakdown(ours, theirs, threads), flush=True)
        if "products" in ours:
            products = ours["products"]
            numpy_ms = run_in_worker(context, _products_worker, "numpy", products, threads)
            torch_ms = (run_in_worker(context, _products_worker, "torch", products, threads)
                        if theirs is not None else None)
            print(format_products(products, numpy_ms, torch_ms), flush=True)


if __name__ == "__main__":
    main()
