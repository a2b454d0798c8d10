"""Turn config names into models, optimisers and samplers for one problem."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

import pdes
from pdes import samplers
from sciml import train
from sciml.models import (
    MLP,
    FieldModel,
    FourierFeatures,
    ModifiedMLP,
    PeriodicEmbedding,
    PirateNet,
    dense,
    factorized,
)
from sciml.pinn._config import ModelConfig, OptimConfig

ACTIVATIONS = {"tanh": jnp.tanh, "sin": jnp.sin, "gelu": nn.gelu, "swish": nn.swish}
SAMPLERS = {"uniform": samplers.uniform, "lhs": samplers.latin_hypercube, "sobol": samplers.sobol}


def periodic_axes(problem: pdes.Problem) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Coordinate indices and angular frequencies 2π/period of the problem's periodic axes."""
    axes, frequencies = [], []
    for axis, condition in zip(problem.domain.spatial_axes, problem.boundary, strict=True):
        if isinstance(condition, pdes.Periodic):
            lo, hi = problem.domain.bounds[axis]
            axes.append(axis)
            frequencies.append(2 * np.pi / (hi - lo))
    return tuple(axes), tuple(frequencies)


def _hard_transform(problem: pdes.Problem):
    r"""Exact initial data and homogeneous Dirichlet data where the problem allows it.

    :math:`u = u_0(x) + (t - t_0)\,D(x)\,N(z)` with :math:`D = \prod_i (x_i - a_i)(b_i - x_i)`
    over the homogeneous Dirichlet axes (requires :math:`u_0` to vanish there, which a
    well-posed problem's data do); steady problems get :math:`u = D(x)\,N(z)`.
    """
    domain = problem.domain
    dirichlet = [
        (axis, domain.bounds[axis])
        for axis, condition in zip(domain.spatial_axes, problem.boundary, strict=True)
        if isinstance(condition, pdes.Dirichlet) and condition.homogeneous
    ]
    if not domain.time_dependent and not dirichlet:
        return None

    def distance(z):
        d = jnp.ones(z.shape[:-1], z.dtype)
        for axis, (lo, hi) in dirichlet:
            d = d * (z[..., axis] - lo) * (hi - z[..., axis])
        return d

    def transform(z, raw):
        if not domain.time_dependent:
            return distance(z)[..., None] * raw
        u0 = jnp.vectorize(problem.initial[0], signature="(d)->()")(z[..., 1:])
        t = z[..., 0] - domain.time[0]
        return u0[..., None] + (t * distance(z))[..., None] * raw

    return transform


def build_model(problem: pdes.Problem, config: ModelConfig, out: int = 1) -> FieldModel:
    """The :class:`FieldModel` that ``config`` describes, for ``problem``'s coordinates."""
    layer = factorized(config.rwf_mean, config.rwf_std) if config.rwf else dense
    activation = ACTIVATIONS[config.activation]
    if config.arch == "mlp":
        network = MLP(config.width, config.depth, out, activation, layer)
    elif config.arch == "modified_mlp":
        network = ModifiedMLP(config.width, config.depth, out, activation, layer)
    else:
        if config.fourier_features != config.width:
            raise ValueError(
                "model.arch=piratenet needs model.fourier_features equal to model.width "
                f"({config.width}), got {config.fourier_features}"
            )
        network = PirateNet(config.width, config.depth, out, activation, layer)
    axes, frequencies = periodic_axes(problem) if config.periodic else ((), ())
    trainable = (False,) * len(axes)
    if config.time_frequency:
        if not problem.domain.time_dependent:
            raise ValueError("model.time_frequency needs a time-dependent problem")
        axes, frequencies = (0, *axes), (config.time_frequency, *frequencies)
        trainable = (True, *trainable)
    periodic = PeriodicEmbedding(axes, frequencies, trainable) if axes else None
    fourier = None
    if config.fourier_features:
        fourier = FourierFeatures(
            config.fourier_features, config.fourier_scale, config.fourier_trainable
        )
    transform = _hard_transform(problem) if config.hard_constraints else None
    return FieldModel(network, periodic=periodic, fourier=fourier, transform=transform)


def learning_rate(config: OptimConfig) -> optax.Schedule:
    """Linear warm-up, then constant, exponential (``decay_rate`` every ``decay_steps``) or
    cosine decay over the remaining steps."""
    if config.schedule == "constant":
        decay = optax.constant_schedule(config.learning_rate)
    elif config.schedule == "exponential":
        decay = optax.exponential_decay(config.learning_rate, config.decay_steps, config.decay_rate)
    else:
        decay = optax.cosine_decay_schedule(
            config.learning_rate, max(1, config.steps - config.warmup_steps)
        )
    if not config.warmup_steps:
        return decay
    warmup = optax.linear_schedule(0.0, config.learning_rate, config.warmup_steps)
    return optax.join_schedules([warmup, decay], [config.warmup_steps])


def optimizer(config: OptimConfig) -> optax.GradientTransformation:
    """Adam, or AdamW when ``weight_decay > 0``, on :func:`learning_rate`."""
    schedule = learning_rate(config)
    if config.weight_decay:
        return optax.adamw(schedule, weight_decay=config.weight_decay)
    return optax.adam(schedule)


def quasi_newton(config: OptimConfig) -> optax.GradientTransformationExtraArgs:
    """The second-stage optimizer: L-BFGS (memory ``lbfgs_memory``) or dense (SS)BFGS."""
    if config.quasi_newton == "lbfgs":
        return train.lbfgs(config.lbfgs_memory)
    return train.bfgs(self_scaling=config.quasi_newton == "ssbfgs")


def sampler(name: str):
    return SAMPLERS[name]


def initial_params(model: FieldModel, problem: pdes.Problem, seed: int, dtype="float32"):
    """Initial parameters in ``dtype`` (Flax creates float32 parameters even under x64)."""
    params = model.init(jax.random.PRNGKey(seed), jnp.zeros(problem.domain.ndim, dtype))
    return jax.tree.map(lambda leaf: leaf.astype(dtype), params)
