r"""POD-DeepONet (Lu et al. 2022): the trunk net replaced by POD modes of the training outputs.

:func:`pod_basis` takes the training outputs :math:`Y \in \mathbb{R}^{n \times N}` (``n`` output
functions on the same ``N`` points) and returns their mean :math:`\bar y` and the first ``modes``
eigenvectors of the sample covariance

.. math:: C = \frac{1}{n-1} (Y - \bar y)^\top (Y - \bar y),

sorted by decreasing eigenvalue :math:`\lambda_k` and scaled by :math:`\sqrt{N}`, so that
:math:`\Phi^\top \Phi / N = I`. They come from the singular value decomposition
:math:`Y - \bar y = U S V^\top` (:math:`\Phi = \sqrt{N}\,V`, :math:`\lambda_k = s_k^2/(n-1)`),
which is the same basis without forming :math:`C` and squaring its condition number. Each mode's
sign is fixed (its entry of largest magnitude is positive). Beyond the rank of
:math:`Y - \bar y` (at most :math:`n - 1`) the eigenvalues are 0 and the modes are an arbitrary
orthonormal completion. The function sees the training outputs only: test outputs never shape
the basis (the reference Burgers script computed it from the test set).

:class:`PODDeepONet` maps the input functions ``u [n_func, *m]`` to ``[n_func, N]``:

.. math:: G(u)_j = \frac{1}{p} \sum_{k=1}^{p} b_k(u)\, \Phi_{jk} + \bar y_j,

with ``p`` modes. With an ``extra_trunk`` net :math:`t` evaluated at the ``N`` output points
``y [N, d]`` (``activation`` applied to its output when ``trunk_last_activation``, as DeepXDE
does), its ``q`` outputs are concatenated to the modes and a scalar bias is added:
:math:`G(u)_j = \big(\sum_{k \le p} b_k \Phi_{jk} + \sum_{l \le q} b_{p+l}\, t_l(y_j) + b_0\big)/p
+ \bar y_j`, the branch giving :math:`p + q` features (DeepXDE's ``PODDeepONet`` followed by the
reference output transform).

The POD arrays are constants, not parameters. ``init`` copies the constructor's ``basis_modes``
and ``mean`` into the variable collection ``"pod"``, next to ``"params"``; ``apply`` reads them
from there. Train ``variables["params"]`` only and apply with
``{"params": params, "pod": variables["pod"]}``. Save ``variables["pod"]`` in the same
checkpoint as the train state (e.g. ``Checkpoints.save({"state": state, "pod": pod}, step)``,
one orbax PyTree): a model rebuilt without the arrays (``PODDeepONet(branch)``) then applies the
restored variables exactly.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import MLP
>>> from sciml.models._pod import PODDeepONet, pod_basis
>>> y_train = jnp.sin(jnp.arange(600.0)).reshape(20, 30)  # 20 outputs on 30 points
>>> mean, modes = pod_basis(y_train, 5)
>>> model = PODDeepONet(MLP(16, 1, out=5), modes, mean)
>>> variables = jax.jit(model.init)(jax.random.key(1), jnp.ones((4, 10)))
>>> sorted(variables)
['params', 'pod']
>>> model.apply(variables, jnp.ones((4, 10))).shape
(4, 30)
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

Activation = Callable[[jax.Array], jax.Array]

COLLECTION = "pod"
"""The variable collection holding the POD mean and modes."""


def pod_basis(
    train_outputs: Float[Array, "n n_pts"], modes: int
) -> tuple[Float[Array, " n_pts"], Float[Array, "n_pts modes"]]:
    """The mean and the first ``modes`` POD modes (scaled by ``sqrt(n_pts)``) of training outputs.

    Args:
        train_outputs: ``[n, n_pts]``, the training output functions (never the test ones).
        modes: how many modes to keep, ``1 <= modes <= n_pts``.

    Returns:
        ``(mean [n_pts], basis [n_pts, modes])`` with ``basis.T @ basis / n_pts = I``.
    """
    y = jnp.asarray(train_outputs)
    if y.ndim != 2 or y.shape[0] < 2:
        raise ValueError(f"pod_basis needs training outputs [n >= 2, n_pts], got {y.shape}")
    n, n_pts = y.shape
    if not 1 <= modes <= n_pts:
        raise ValueError(f"pod_basis: modes must be in [1, {n_pts}], got {modes}")
    mean = jnp.mean(y, axis=0)
    # the thin SVD has min(n, n_pts) right vectors; more modes need the full orthonormal basis
    _, _, vt = jnp.linalg.svd(y - mean[None, :], full_matrices=modes > min(n, n_pts))
    v = vt[:modes].T
    peak = jnp.take_along_axis(v, jnp.argmax(jnp.abs(v), axis=0)[None], axis=0)
    return mean, v * jnp.sign(peak) * jnp.sqrt(n_pts)


class PODDeepONet(nn.Module):
    """``u [n_func, *m] -> G(u) [n_func, n_pts]`` on the POD grid; see the module docstring.

    Attributes:
        branch: maps ``[n, *m] -> [n, p + q]`` (``q`` = extra trunk features, 0 without).
        basis_modes: ``[n_pts, p]`` from :func:`pod_basis`; needed at ``init`` only.
        mean: ``[n_pts]`` from :func:`pod_basis`; needed at ``init`` only.
        extra_trunk: optional net ``[n_pts, d] -> [n_pts, q]`` on the output points.
        trunk_last_activation: apply ``activation`` to the extra trunk's output.
        activation: that activation.
    """

    branch: nn.Module
    basis_modes: Float[Array, "n_pts p"] | None = None
    mean: Float[Array, " n_pts"] | None = None
    extra_trunk: nn.Module | None = None
    trunk_last_activation: bool = True
    activation: Activation = jax.nn.relu

    def _constant(self, name: str, value: jax.Array | None) -> jax.Array:
        if not self.is_initializing() and not self.has_variable(COLLECTION, name):
            raise ValueError(
                f"PODDeepONet.apply needs the {COLLECTION!r} collection: pass "
                f"{{'params': ..., {COLLECTION!r}: variables[{COLLECTION!r}]}}"
            )
        if value is None and not self.has_variable(COLLECTION, name):
            raise ValueError(f"PODDeepONet.init needs the POD array {name!r}, got None")
        return self.variable(COLLECTION, name, lambda: jnp.asarray(value)).value

    @nn.compact
    def __call__(
        self, u: Float[Array, "n_func ..."], y: Float[Array, "n_pts d"] | None = None
    ) -> Float[Array, "n_func n_pts"]:
        """``y``: the output points, required by (and only used with) an ``extra_trunk``."""
        modes = self._constant("modes", self.basis_modes)
        mean = self._constant("mean", self.mean)
        n_pts, p = modes.shape
        basis = modes
        if self.extra_trunk is not None:
            if y is None or y.ndim != 2 or y.shape[0] != n_pts:
                shape = None if y is None else y.shape
                raise ValueError(
                    f"PODDeepONet with an extra trunk needs the {n_pts} output points "
                    f"y [{n_pts}, d], got {shape}"
                )
            t = self.extra_trunk(y)
            t = self.activation(t) if self.trunk_last_activation else t
            basis = jnp.concatenate([modes, t], axis=-1)
        b = self.branch(u)
        if b.shape[-1] != basis.shape[-1]:
            raise ValueError(
                f"PODDeepONet branch must give {basis.shape[-1]} features, got {b.shape[-1]}"
            )
        g = jnp.einsum("bk,nk->bn", b, basis)
        if self.extra_trunk is not None:
            g = g + self.param("bias", nn.initializers.zeros, ())
        return g / p + mean[None, :]
