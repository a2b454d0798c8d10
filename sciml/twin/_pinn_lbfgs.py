"""The PINN's optional L-BFGS stage (Step 5's option, Step 7's stage 3): quasi-Newton iterations
on a fixed objective, in compiled chunks, under the Adam stage's stopping rule.

A quasi-Newton method needs a deterministic objective, so the caller fixes the collocation
points and the adaptive weights in ``args``. The stage stops when θ̂ = θ_nom e^ρ changes by less
than ``tolerance`` (relative) over one chunk; a chunk whose loss is not finite (a failed line
search) is discarded and the last finite iterate kept.
"""

import time

import jax
import numpy as np

from sciml.train import lbfgs, lbfgs_iteration


def lbfgs_stage(total_loss, trainable, args, settings, record, previous):
    """Run up to ``settings.lbfgs_steps`` iterations on ``total_loss(trainable, *args)``.

    ``total_loss`` returns ``(loss, terms)``; ``trainable`` is ``(networks, ρ)``;
    ``record(iterations, seconds, terms, ρ)`` logs one chunk; ``previous`` is ρ after Adam.
    Returns ``(trainable, iterations, loss, seconds, compile_seconds)``, ``loss`` NaN when no
    chunk was kept.
    """
    quasi = lbfgs(settings.lbfgs_memory)

    def chunk(carry, *args):
        def objective(p):
            return total_loss(p, *args)[0]

        iterate = lbfgs_iteration(quasi, objective)

        def step(carry, _):
            p, s, _, _ = iterate(*carry)
            return (p, s), None

        carry, _ = jax.lax.scan(step, carry, None, length=settings.lbfgs_chunk)
        return carry, total_loss(carry[0], *args)[1]

    carry = (trainable, quasi.init(trainable))
    begin = time.perf_counter()
    run = jax.jit(chunk).lower(carry, *args).compile()
    compile_seconds = time.perf_counter() - begin
    begin, iterations, loss = time.perf_counter(), 0, float("nan")
    while iterations < settings.lbfgs_steps:
        new, terms = run(carry, *args)
        value = float(np.sum(terms))
        if not np.isfinite(value):
            break
        rho = np.asarray(new[0][1])
        iterations += settings.lbfgs_chunk
        record(iterations, time.perf_counter() - begin, terms, rho)
        carry, loss = new, value
        change = np.max(np.abs(np.exp(rho - previous) - 1.0))
        previous = rho
        if change < settings.tolerance:
            break
    return carry[0], iterations, loss, time.perf_counter() - begin, compile_seconds
