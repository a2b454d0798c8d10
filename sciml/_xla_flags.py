"""XLA flags this package sets before JAX starts its CPU backend.

``--xla_cpu_experimental_ynn_fusion_type=`` (empty: no YNNPACK fusions). XLA's CPU backend
hands small matrix products to YNNPACK fusions by default; for PINN steps, whose products are a few
thousand rows by 20-128 columns, those run far slower than its own kernels: the DeepXDE Burgers
configuration (2-20-20-20-1, 2540 points) trains at 121 Adam steps/s with them and 350-410
without (2 CPU cores, jax 0.10.2). Flags only act before the backend starts, so this runs on
``import sciml``; a flag you set yourself in ``XLA_FLAGS`` wins, and ``SCIML_XLA_DEFAULTS=0``
leaves ``XLA_FLAGS`` untouched.
"""

import os

DEFAULTS = {"xla_cpu_experimental_ynn_fusion_type": ""}


def apply_defaults() -> None:
    if os.environ.get("SCIML_XLA_DEFAULTS", "1") == "0":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    extra = [f"--{name}={value}" for name, value in DEFAULTS.items() if f"--{name}" not in flags]
    if extra:
        os.environ["XLA_FLAGS"] = " ".join([flags, *extra]).strip()
