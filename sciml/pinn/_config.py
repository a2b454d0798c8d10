"""The PINN experiment config: every trick a switch, every default stated.

Choices are names at this boundary (config files and ``--set``); :mod:`sciml.pinn._build` maps
them to callables. ``__post_init__`` checks ranges so a bad value fails before any compilation.
"""

import dataclasses
from dataclasses import dataclass, field

ARCHITECTURES = ("mlp", "modified_mlp", "piratenet")
ACTIVATIONS = ("tanh", "sin", "gelu", "swish")
SAMPLERS = ("uniform", "lhs", "sobol")
WEIGHTINGS = ("fixed", "grad_norm", "ntk", "self_adaptive")
SCHEDULES = ("constant", "exponential", "cosine")
PRECISIONS = ("default", "high", "highest")
DTYPES = ("float32", "float64")
QUASI_NEWTON = ("lbfgs", "bfgs", "ssbfgs")


def _choice(name: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")


def _positive(name: str, value, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not ok:
        raise ValueError(
            f"{name} must be {'non-negative' if allow_zero else 'positive'}, got {value!r}"
        )


@dataclass(frozen=True)
class ModelConfig:
    """Network and embeddings (JAX-PI's choices are all here)."""

    arch: str = "mlp"
    width: int = 64
    depth: int = 4
    activation: str = "tanh"
    rwf: bool = False
    rwf_mean: float = 1.0
    rwf_std: float = 0.1
    fourier_features: int = 0  # 0: off; else the number of features (even)
    fourier_scale: float = 1.0
    fourier_trainable: bool = True
    periodic: bool = True  # exact periodicity along the problem's periodic axes
    # > 0: t enters as (cos ωt, sin ωt), ω trainable from this value (JAX-PI's "time period" for
    # advection: 3π); the network is then periodic in t, so use soft initial data with it
    time_frequency: float = 0.0
    hard_constraints: bool = False  # impose u(t0, x) and homogeneous Dirichlet data exactly

    def __post_init__(self):
        _choice("model.arch", self.arch, ARCHITECTURES)
        _choice("model.activation", self.activation, ACTIVATIONS)
        _positive("model.width", self.width)
        _positive("model.depth", self.depth)
        _positive("model.fourier_features", self.fourier_features, allow_zero=True)
        _positive("model.time_frequency", self.time_frequency, allow_zero=True)


@dataclass(frozen=True)
class SamplingConfig:
    """Collocation points, redrawn every step from ``fold_in(key, step)``; optionally RAD."""

    residual_points: int = 2048
    initial_points: int = 256
    boundary_points: int = 256
    method: str = "uniform"
    rad: bool = False  # residual points by RAD (every Adam step, and the L-BFGS points)
    rad_pool: int = 4  # candidates per chosen point
    rad_k: float = 1.0
    rad_c: float = 1.0

    def __post_init__(self):
        _choice("sampling.method", self.method, SAMPLERS)
        _positive("sampling.rad_pool", self.rad_pool)
        for name in ("residual_points", "initial_points", "boundary_points"):
            _positive(f"sampling.{name}", getattr(self, name))


@dataclass(frozen=True)
class OptimConfig:
    """Adam(W) with warm-up and decay, then an optional quasi-Newton stage on fixed points:
    L-BFGS, or dense BFGS / self-scaled BFGS (``quasi_newton``; small networks only: the
    inverse Hessian is n x n). The ``lbfgs_*`` settings apply to whichever is chosen."""

    steps: int = 10_000
    steps_per_call: int = 100
    learning_rate: float = 1e-3
    schedule: str = "exponential"
    decay_steps: int = 2000
    decay_rate: float = 0.9
    warmup_steps: int = 0
    weight_decay: float = 0.0
    lbfgs_steps: int = 0
    lbfgs_points: int = 8192
    lbfgs_memory: int = 50
    lbfgs_rounds: int = 1  # fresh fixed points (RAD if sampling.rad) and a restart each round
    quasi_newton: str = "lbfgs"
    keep_hessian: bool = False  # (SS)BFGS rounds after the first start from the last H

    def __post_init__(self):
        _choice("optim.schedule", self.schedule, SCHEDULES)
        _choice("optim.quasi_newton", self.quasi_newton, QUASI_NEWTON)
        if self.keep_hessian and self.quasi_newton == "lbfgs":
            # after the zero step that separates two objectives L-BFGS's scaling is undefined
            raise ValueError("optim.keep_hessian needs optim.quasi_newton=bfgs or ssbfgs")
        _positive("optim.steps", self.steps, allow_zero=True)
        _positive("optim.steps_per_call", self.steps_per_call)
        _positive("optim.learning_rate", self.learning_rate)
        _positive("optim.lbfgs_steps", self.lbfgs_steps, allow_zero=True)
        _positive("optim.lbfgs_rounds", self.lbfgs_rounds)
        for name in ("steps", "lbfgs_steps"):
            if getattr(self, name) % self.steps_per_call:
                raise ValueError(
                    f"optim.{name}={getattr(self, name)} must be a multiple of "
                    f"optim.steps_per_call={self.steps_per_call}"
                )
        if self.lbfgs_steps % (self.lbfgs_rounds * self.steps_per_call):
            raise ValueError(
                f"optim.lbfgs_steps={self.lbfgs_steps} must split into {self.lbfgs_rounds} rounds "
                f"of whole calls of {self.steps_per_call} steps"
            )


@dataclass(frozen=True)
class WeightingConfig:
    """Loss-term weights: fixed, balanced every ``every`` steps (EMA with ``momentum``), or
    self-adaptive point-wise weights raised by gradient ascent every ``every`` steps (SA-PINN:
    the points stay fixed, ``residual_points`` etc. of them, and L-BFGS reuses them)."""

    scheme: str = "fixed"
    every: int = 1000
    momentum: float = 0.9
    initial: float = 1.0  # weight of the initial-condition terms (others start at 1)
    ntk_points: int = 256
    ascent_rate: float = 0.01  # SA-PINN: mean weight increase per update

    def __post_init__(self):
        _choice("weighting.scheme", self.scheme, WEIGHTINGS)
        _positive("weighting.every", self.every)
        _positive("weighting.ascent_rate", self.ascent_rate)


@dataclass(frozen=True)
class CausalConfig:
    """Causal weighting of the residual over ``chunks`` time chunks (Wang et al. 2022)."""

    enabled: bool = False
    chunks: int = 32
    tolerance: float = 1.0
    quasi_newton: bool = False  # also in the (L-)BFGS stage (off: the plain residual mean there)

    def __post_init__(self):
        _positive("causal.chunks", self.chunks)
        _positive("causal.tolerance", self.tolerance)


@dataclass(frozen=True)
class PINNConfig:
    """One PINN experiment: problem, model, sampling, optimisation, weighting, evaluation."""

    problem: str = "burgers"
    problem_params: tuple = ()  # (("viscosity", 0.01),) overrides the problem's defaults
    reference_params: tuple = ()  # reference-grid overrides, e.g. (("nt", 101), ("nx", 256))
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    weighting: WeightingConfig = field(default_factory=WeightingConfig)
    causal: CausalConfig = field(default_factory=CausalConfig)
    time_windows: int = 1  # time marching: each window gets optim's steps, from the last state
    eval_every: int = 1000
    log_every: int = 100
    matmul_precision: str = "highest"  # recorded; JAX-PI found results depend on it
    dtype: str = "float32"  # float64 lets L-BFGS go further (long recipes), at about 2x the cost

    def __post_init__(self):
        _positive("time_windows", self.time_windows)
        _choice("matmul_precision", self.matmul_precision, PRECISIONS)
        _choice("dtype", self.dtype, DTYPES)
        if self.weighting.scheme == "self_adaptive" and self.sampling.rad:
            raise ValueError(
                "weighting.scheme=self_adaptive keeps its points fixed; it cannot be combined "
                "with sampling.rad=true"
            )
        for name in ("eval_every", "log_every"):
            value = getattr(self, name)
            _positive(name, value)
            if value % self.optim.steps_per_call:
                raise ValueError(
                    f"{name}={value} must be a multiple of optim.steps_per_call="
                    f"{self.optim.steps_per_call}"
                )

    def replace(self, **changes) -> "PINNConfig":
        return dataclasses.replace(self, **changes)
