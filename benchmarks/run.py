"""Speed of numpygan's GAN training, side by side with PyTorch when it is installed.

    python benchmarks/run.py                # MLP GAN at batch 64/128/256, DCGAN at 128, layer table;
                                            # with 1 thread, then with 2
    python benchmarks/run.py --full         # DCGAN at 64/128/256 too, more repeats
    python benchmarks/run.py --threads 2 --repeats 15 --no-layers --no-torch

What is timed: one training *iteration* — one discriminator step on a real and a
fake batch, then one generator step through the frozen discriminator, Adam on
both, BCE with logits — by numpygan's own ``GANTrainer.train_step`` on the
reference architectures (``numpygan.models``), and by the same iteration written
in PyTorch (``benchmarks/torch_reference.py``: same layers, same batch, same
thread count). The inputs are random arrays of the right shape: the data
pipeline is not part of the iteration.

How: every configuration runs in its own worker process, one for numpygan and
one for PyTorch, so neither's thread pool or allocator disturbs the other, and
so each process's peak resident memory (``ru_maxrss``) belongs to one
configuration. After a warm-up, the parent asks the two workers for a few
iterations at a time, in turns (the first of each turn untimed), so load from
other programs on the machine hits both alike: the medians and their ratio are
taken over the same stretch of time. numpygan's peak is given two ways: the worker's ``ru_maxrss`` (the whole
process: Python, NumPy, SciPy, data, weights and the iteration's working
arrays) and ``tracemalloc``'s peak of the arrays allocated during one iteration
(NumPy reports its data buffers to tracemalloc) on top of the ones alive
before it (weights, gradients, Adam moments, last caches).

Threads: each count in ``--threads`` (default ``1 2``; the reference machine
has 2 cores) is exported as OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
MKL_NUM_THREADS to the workers before NumPy is imported there, and handed to
``torch.set_num_threads``. To run numpygan itself with a thread count, set the
same variables before starting Python (or use ``numpygan train --threads``);
threadpoolctl is not needed. On a machine whose cores are busy with other work,
two-thread timings of both frameworks collapse (a thread waits at every
synchronisation for a core that is running something else): read the
one-thread table there, and the load averages printed with each table.

FLOP counts are those of the matrix products the iteration needs (see
``benchmarks/layers.py``): a product of (m×k)(k×n) is 2mkn. Not counted: the
input gradient of each network's first layer, which nobody uses, and the
weight gradients of the frozen discriminator in the generator step — neither
framework computes them. ``% of matmul`` is the iteration's GFLOP/s over this
machine's float32 (1024×1024)² matmul rate, measured by the numpygan worker
between the iterations (median), so that it sees the same load.
"""

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:  # `python benchmarks/x.py`: make `benchmarks` and `numpygan` importable
    sys.path.insert(0, _REPO_ROOT)

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# The frameworks take turns in blocks of iterations; the first iteration of each
# block is not timed: it absorbs the switch (the other worker's idle BLAS/OpenMP
# threads still spinning, caches and pages the other process took over).
BLOCK = {"mlp": 4, "dcgan": 2}


# -- the numpygan iteration ---------------------------------------------------------------
def numpygan_config(model, batch, seed=0):
    from numpygan.training import TrainConfig

    # the PyTorch reference's architectures: MLP with a tanh G and Dropout(0.3) in D,
    # DCGAN (Keras tutorial) with a sigmoid G and Dropout(0.4) in D
    if model == "mlp":
        return TrainConfig(model="mlp", dataset="arrays", batch_size=batch, output_activation="tanh",
                           d_dropout=0.3, seed=seed, progress=False)
    return TrainConfig(model="dcgan", dataset="arrays", batch_size=batch, output_activation="sigmoid",
                       d_dropout=0.4, seed=seed, progress=False)


def make_numpygan_step(model, batch, seed=0):
    """A zero-argument function doing one training iteration with ``GANTrainer.train_step``."""
    import numpy as np
    from numpygan.training import GANTrainer, build_gan

    config = numpygan_config(model, batch, seed)
    generator, discriminator = build_gan(config)
    trainer = GANTrainer(generator, discriminator, config)
    rng = np.random.default_rng(seed)
    real = rng.random((batch,) + discriminator.input_shape, dtype=np.float32)
    if config.output_activation == "tanh":
        real = 2 * real - 1

    def step():
        trainer.train_step([real])

    return step, trainer


def iteration_flops(generator, discriminator, batch):
    """FLOPs of the matrix products one iteration needs (module docstring), for ``batch`` samples.

    Per network, with F its layers' forward FLOPs: forward ΣF, weight gradients ΣF,
    input gradients ΣF without the first layer (or with it, for D in the G step:
    that gradient is what G learns from).
    """
    from benchmarks.layers import gemm_flops

    def per_layer(model):
        return [f for f in (gemm_flops(layer, batch) for layer in model.layers) if f]

    g, d = per_layer(generator), per_layer(discriminator)
    d_step = sum(g) + 2 * (sum(d) + sum(d) + sum(d[1:]))      # G(z); D forward + dW + dx, on real and fake
    g_step = sum(g) + sum(d) + sum(d) + sum(g) + sum(g[1:])   # G(z); D forward, dx all the way; G dW + dx
    return d_step + g_step


# -- workers -----------------------------------------------------------------------------------
def _worker(conn, framework, model, batch, threads, warmup, seed, keep_memory=True):
    """Run in a child process: build one configuration, then answer 'step', 'memory', 'stop'."""
    try:
        if keep_memory:
            # what `numpygan train` does; for both frameworks, since both allocate through malloc
            from numpygan.runtime.memory import keep_freed_memory

            keep_freed_memory()
        if framework == "numpygan":
            step, trainer = make_numpygan_step(model, batch, seed)
            info = {"flops": iteration_flops(trainer.generator, trainer.discriminator, batch)}
        else:
            import torch
            from benchmarks.torch_reference import make_train_step

            torch.set_num_threads(threads)
            step = make_train_step(model, batch, seed=seed)
            info = {"version": torch.__version__}
        for _ in range(warmup):
            step()
        conn.send(("ready", info))
        while True:
            command = conn.recv()
            if command == "step":
                start, start_cpu = time.perf_counter(), time.process_time()
                step()
                conn.send((time.perf_counter() - start, time.process_time() - start_cpu))
            elif command == "matmul":
                conn.send(_matmul_rate())
            elif command == "memory":
                conn.send(_memory(step, framework))
            else:
                return
    except Exception as err:  # report to the parent instead of dying silently
        conn.send(("error", f"{type(err).__name__}: {err}"))


def _memory(step, framework):
    """Peak resident set of this process so far, and (numpygan) tracemalloc's view of one more iteration."""
    result = {"maxrss_mb": _maxrss_mb()}
    if framework == "numpygan":
        import tracemalloc

        tracemalloc.start()
        step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["traced_peak_mb"] = peak / 2 ** 20
    return result


def _matmul_rate(n=1024, repeats=3):
    """GFLOP/s of one (n×n)² float32 product, best of ``repeats``: the bound, measured in place."""
    import numpy as np

    from benchmarks.common import time_calls

    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    out = np.empty_like(a)
    return 2.0 * n ** 3 / min(time_calls(lambda: np.matmul(a, a, out=out), repeats, warmup=1)) / 1e9


def _maxrss_mb():
    # Linux reports kilobytes, macOS bytes
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2 ** 20


def _layers_worker(conn, batch, repeats):
    from benchmarks.layers import MODEL_BUILDERS, format_layer_rows, time_layers

    texts = []
    for name, build in MODEL_BUILDERS.items():
        model = build()
        texts.append(format_layer_rows(f"{name} ({model.name})", time_layers(model, batch, repeats)))
    texts.append(f"float32 matmul (1024×1024)² on this machine now: {_matmul_rate(repeats=5):.1f} GFLOP/s")
    conn.send("\n\n".join(texts))


class Worker:
    """A child process running one configuration, driven over a pipe."""

    def __init__(self, context, target, args):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=target, args=(child,) + args, daemon=True)
        self.process.start()
        child.close()

    def ask(self, message=None):
        if message is not None:
            self.conn.send(message)
        answer = self.conn.recv()
        if isinstance(answer, tuple) and answer and answer[0] == "error":
            raise RuntimeError(answer[1])
        return answer

    def close(self):
        try:
            self.conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()


def run_in_worker(context, target, *args):
    worker = Worker(context, target, args)
    try:
        return worker.ask()
    finally:
        worker.process.join(timeout=30)


def compare(context, model, batch, args, with_torch):
    """Interleaved timings of one configuration: {'numpygan': {...}, 'torch': {...} or None}."""
    frameworks = ["numpygan"] + (["torch"] if with_torch else [])
    workers = {f: Worker(context, _worker, (f, model, batch, args.threads, args.warmup, 0, not args.malloc_default))
               for f in frameworks}
    try:
        info = {f: w.ask()[1] for f, w in workers.items()}
        samples = {f: [] for f in frameworks}
        matmul = []
        block, rounds = BLOCK[model], 0
        while len(samples["numpygan"]) < args.repeats:
            order = frameworks if rounds % 2 == 0 else frameworks[::-1]
            for f in order:
                if f == "numpygan":
                    matmul.append(workers[f].ask("matmul"))
                workers[f].ask("step")  # untimed: the switch
                samples[f] += [workers[f].ask("step") for _ in range(block - 1)]
            rounds += 1
        results = {"matmul_gflops": statistics.median(matmul)}
        for f in frameworks:
            wall = [w for w, _ in samples[f]]
            median = statistics.median(wall)
            results[f] = dict(info[f], median_ms=1e3 * median, min_ms=1e3 * min(wall),
                              cpu_ms=1e3 * statistics.median(c for _, c in samples[f]),
                              samples_per_s=batch / median, **workers[f].ask("memory"))
        return results
    finally:
        for w in workers.values():
            w.close()


# -- report --------------------------------------------------------------------------------------
def format_table(rows, with_torch):
    head = (f"{'model':<6}{'batch':>6}{'numpygan ms':>12}{'(cpu)':>8}{'samples/s':>10}{'GFLOP/s':>8}"
            f"{'%matmul':>8}{'RSS MB':>8}{'traced':>7}")
    if with_torch:
        head += f"{'torch ms':>10}{'(cpu)':>8}{'samples/s':>10}{'%matmul':>8}{'RSS MB':>8}{'np/torch':>9}"
    lines = [head]
    for model, batch, result in rows:
        ours, matmul = result["numpygan"], result["matmul_gflops"]
        rate = ours["flops"] / ours["median_ms"] / 1e6
        line = (f"{model:<6}{batch:>6}{ours['median_ms']:>12.1f}{ours['cpu_ms']:>8.0f}{ours['samples_per_s']:>10.0f}"
                f"{rate:>8.1f}{100 * rate / matmul:>7.0f}%{ours['maxrss_mb']:>8.0f}{ours['traced_peak_mb']:>7.0f}")
        if with_torch:
            ref = result["torch"]
            ref_rate = ours["flops"] / ref["median_ms"] / 1e6
            line += (f"{ref['median_ms']:>10.1f}{ref['cpu_ms']:>8.0f}{ref['samples_per_s']:>10.0f}"
                     f"{100 * ref_rate / matmul:>7.0f}%{ref['maxrss_mb']:>8.0f}{ours['median_ms'] / ref['median_ms']:>9.2f}")
        lines.append(line)
    lines.append("matmul GFLOP/s (median, measured between the iterations): "
                 + ", ".join(f"{m} {b}: {r['matmul_gflops']:.0f}" for m, b, r in rows))
    return "\n".join(lines)


def set_threads(threads):
    """Thread count for the workers started from now on (read by their BLAS when NumPy loads)."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)


def main(argv=None):
    parser = argparse.ArgumentParser(description="numpygan GAN iteration speed, next to PyTorch if installed.")
    parser.add_argument("--full", action="store_true", help="DCGAN at batch 64/128/256 too, and more repeats")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="BLAS/OpenMP thread counts to run, each for both frameworks (default: 1 2)")
    parser.add_argument("--repeats", type=int, default=None, help="timed iterations per configuration "
                        "(default 15 for the MLP, 5 for the DCGAN; doubled with --full)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--no-layers", action="store_true", help="skip the per-layer table")
    parser.add_argument("--malloc-default", action="store_true",
                        help="leave glibc's mmap threshold alone (default: raise it in both workers, as "
                             "`numpygan train` does; see numpygan/runtime/memory.py)")
    parser.add_argument("--models", nargs="+", choices=("mlp", "dcgan"), default=("mlp", "dcgan"))
    args = parser.parse_args(argv)
    if any(t < 1 for t in args.threads):
        parser.error(f"argument --threads: every count must be >= 1, received {args.threads}")

    from benchmarks.common import blas_report, load_text, machine_description
    from benchmarks.torch_reference import torch_available

    context = multiprocessing.get_context("spawn")
    with_torch = not args.no_torch and torch_available()
    print(machine_description())
    print("\n".join(blas_report()))
    print(f"load average at start: {load_text()}")
    if args.no_torch:
        print("PyTorch comparison: skipped (--no-torch)")
    elif not with_torch:
        print("PyTorch comparison: skipped, PyTorch is not installed (it is optional; see benchmarks/README.md)")

    configs = []
    if "mlp" in args.models:
        configs += [("mlp", b) for b in (64, 128, 256)]
    if "dcgan" in args.models:
        configs += [("dcgan", b) for b in ((64, 128, 256) if args.full else (128,))]
    scale = 2 if args.full else 1
    for threads in args.threads:
        set_threads(threads)
        rows = []
        for model, batch in configs:
            run_args = argparse.Namespace(**vars(args))
            run_args.threads = threads
            run_args.repeats = args.repeats or scale * (15 if model == "mlp" else 5)
            rows.append((model, batch, compare(context, model, batch, run_args, with_torch)))
            print(f"  {threads} thread(s), {model} batch {batch}: {run_args.repeats} repeats done, "
                  f"load {load_text()}", flush=True)
        version = f", PyTorch {rows[0][2]['torch']['version']}" if with_torch else ""
        print(f"\nOne GAN iteration (D on real + fake, G through frozen D, Adam), float32, {threads} thread(s)"
              f"{version}; medians of interleaved repeats after {args.warmup} warm-up; load now {load_text()}")
        print(format_table(rows, with_torch))
        print("MFLOP per sample per iteration: "
              + ", ".join(f"{m} {r['numpygan']['flops'] / b / 1e6:.1f}" for m, b, r in rows if b == 128) + "\n")
        if not args.no_layers:
            print(f"Per layer, batch 128, training mode, {threads} thread(s), median of {10 * scale}:")
            print(run_in_worker(context, _layers_worker, 128, 10 * scale))
            print(f"load now {load_text()}\n", flush=True)


if __name__ == "__main__":
    main()
