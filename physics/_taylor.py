r"""Pure derivatives along several coordinate axes in one Taylor-mode pass.

For directions :math:`e_a` with orders :math:`k_a`, every intermediate value :math:`x` of ``f``
carries its derivatives :math:`x_k = d^k x(z + s e_a)/ds^k` at :math:`s = 0` for every direction,
stacked by order: ``[x, X1, X2, ...]`` where ``Xk`` holds order ``k`` for the directions with
:math:`k_a \ge k` (directions sorted by decreasing order, so those are a prefix). Rules:

- linear maps act on every block; a matrix product with a constant operand multiplies the value
  and all derivative blocks in one product, which is where this beats nested ``jax.jvp`` (one
  small product per derivative and a repeated forward pass);
- products follow Leibniz, :math:`(xy)_k = \sum_i \binom{k}{i} x_i y_{k-i}`;
- elementwise functions follow Faa di Bruno, e.g. :math:`\phi(x)_2 = \phi'' x_1^2 + \phi' x_2`.

``f`` is traced to a jaxpr once and interpreted with these rules; a primitive without a rule
raises :class:`Unsupported`, and callers fall back to nested ``jax.jvp``. Orders up to 4.
"""

from collections.abc import Callable
from math import comb

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core

MAX_ORDER = 4


class Unsupported(NotImplementedError):
    """``f`` uses an operation this Taylor pass has no rule for."""


class _Series:
    """A value and its derivative blocks ``[X1, X2, ...]`` (``Xk``: ``(n_k, *value.shape)``)."""

    def __init__(self, value, blocks):
        self.value = value
        self.blocks = blocks


def _map(fn, series: _Series) -> _Series:
    """A linear map applied to the value and to every derivative block."""
    return _Series(fn(series.value), [jax.vmap(fn)(b) for b in series.blocks])


def _lift(x, like: _Series) -> _Series:
    """A constant as a series with zero derivatives (and the layout of ``like``)."""
    x = jnp.asarray(x, like.value.dtype)
    return _Series(x, [jnp.zeros((b.shape[0], *x.shape), x.dtype) for b in like.blocks])


def _leibniz(op, a: _Series, b: _Series) -> _Series:
    """``op`` bilinear: :math:`(a \\cdot b)_k = \\sum_i \\binom{k}{i} a_i b_{k-i}`."""

    def term(i, x, j, y, n):
        left = x if i == 0 else x[:n]
        right = y if j == 0 else y[:n]
        if i == 0:
            return jax.vmap(lambda r: op(left, r))(right)
        if j == 0:
            return jax.vmap(lambda x_: op(x_, right))(left)
        return jax.vmap(op)(left, right)

    av, bv = [a.value, *a.blocks], [b.value, *b.blocks]
    blocks = []
    for k in range(1, len(av)):
        n = a.blocks[k - 1].shape[0]
        total = sum(comb(k, i) * term(i, av[i], k - i, bv[k - i], n) for i in range(k + 1))
        blocks.append(total)
    return _Series(op(a.value, b.value), blocks)


def _elementwise_derivatives(fn, x, order: int) -> list:
    """:math:`\\phi^{(j)}(x)` for ``j = 0..order`` of an elementwise ``fn``."""
    ones = jnp.ones_like(x)
    out, g = [], fn
    for _ in range(order + 1):
        out.append(g(x))
        g = (lambda h: lambda y: jax.jvp(h, (y,), (ones,))[1])(g)
    return out


def _chain(fn, s: _Series) -> _Series:
    """Faa di Bruno for an elementwise ``fn`` up to order 4."""
    K = len(s.blocks)
    value, *d = _elementwise_derivatives(fn, s.value, K)
    d = [None] + [x[None] for x in d]  # broadcast against the blocks' leading axis
    X = s.blocks
    out = []
    for k in range(1, K + 1):
        n = X[k - 1].shape[0]
        x = [None] + [b[:n] for b in X[:k]]
        if k == 1:
            y = d[1] * x[1]
        elif k == 2:
            y = d[2] * x[1] ** 2 + d[1] * x[2]
        elif k == 3:
            y = d[3] * x[1] ** 3 + 3 * d[2] * x[1] * x[2] + d[1] * x[3]
        else:
            y = (
                d[4] * x[1] ** 4
                + 6 * d[3] * x[1] ** 2 * x[2]
                + d[2] * (3 * x[2] ** 2 + 4 * x[1] * x[3])
                + d[1] * x[4]
            )
        out.append(y)
    return _Series(value, out)


_ELEMENTWISE = {
    "tanh", "sin", "cos", "exp", "log", "logistic", "sqrt",
    "rsqrt", "integer_pow", "erf", "log1p", "expm1", "sinh", "cosh",
    "tan", "atan", "square", "abs", "exp2", "asinh", "cbrt",
}  # fmt: skip
# linear in their single array operand (other operands, if any, are constants: indices, shapes)
_LINEAR = {
    "neg", "reshape", "broadcast_in_dim", "squeeze", "transpose", "slice",
    "reduce_sum", "convert_element_type", "copy", "rev", "cumsum",
    "dynamic_slice", "gather", "real", "reduce_precision",
}  # fmt: skip
# linear in all array operands jointly: constant operands join as series with zero derivatives
_JOINTLY_LINEAR = {"concatenate", "stack", "pad", "select_n", "dynamic_update_slice"}
# calls are interpreted through their body; for custom_jvp/custom_vjp functions that is the primal
# definition (their derivative rules exist for reverse-mode stability, not for other values)
_CALLS = {
    "jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call", "checkpoint",
    "remat",
}  # fmt: skip


def _inner_jaxpr(eqn):
    for name in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if name in eqn.params:
            inner = eqn.params[name]
            if isinstance(inner, core.ClosedJaxpr):
                return inner.jaxpr, inner.consts
            return inner, ()
    raise Unsupported(f"no inner jaxpr in {eqn.primitive}")


def _is_float(x) -> bool:
    dtype = x.dtype if hasattr(x, "dtype") else jnp.result_type(x)
    return jnp.issubdtype(dtype, jnp.inexact)


def _split(prim, params, args):
    s = args[0]
    values = prim.bind(s.value, **params)
    blocks = [jax.vmap(lambda x: prim.bind(x, **params))(b) for b in s.blocks]
    return [_Series(v, [b[i] for b in blocks]) for i, v in enumerate(values)]


def _power(prim, params, args):
    base, exponent = args
    if not isinstance(exponent, _Series):
        return [_chain(lambda x: prim.bind(x, exponent), base)]
    if not isinstance(base, _Series):
        return [_chain(lambda y: prim.bind(base, y), exponent)]
    log_base = _chain(jnp.log, base)  # x^y = exp(y log x)
    return [_chain(jnp.exp, _leibniz(lax.mul, exponent, log_base))]


def _elementwise(prim, params, args):
    return [_chain(lambda x: prim.bind(x, **params), args[0])]


def _sum(prim, params, args):
    a, b = args
    if isinstance(a, _Series) and isinstance(b, _Series):
        blocks = [prim.bind(x, y) for x, y in zip(a.blocks, b.blocks, strict=True)]
        return [_Series(prim.bind(a.value, b.value), blocks)]
    s = a if isinstance(a, _Series) else b
    value = prim.bind(a.value if a is s else a, b.value if b is s else b)
    blocks = s.blocks if (prim.name != "sub" or s is a) else [-x for x in s.blocks]
    return [_Series(value, [jnp.broadcast_to(x, (x.shape[0], *value.shape)) for x in blocks])]


def _product(prim, params, args):
    op = lambda x, y: prim.bind(x, y, **params)
    if all(isinstance(a, _Series) for a in args):
        return [_leibniz(op, *args)]
    i = 0 if isinstance(args[0], _Series) else 1
    s = args[i]
    with_constant = lambda x: op(x, args[1]) if i == 0 else op(args[0], x)
    if prim.name != "dot_general":
        return [_map(with_constant, s)]
    # one product for the value and all derivative blocks (the point of this module)
    stacked = jnp.concatenate([s.value[None], *s.blocks])
    (contract, _), (batch, _) = params["dimension_numbers"]
    rank = s.value.ndim
    if i == 0 and not batch and tuple(contract) == (rank - 1,) and rank >= 2:
        # fold the block axis into the rows, keeping the rank: one plain matrix product
        out = with_constant(stacked.reshape((-1, *stacked.shape[2:])))
        out = out.reshape(stacked.shape[:2] + out.shape[1:])
    else:
        out = jax.vmap(with_constant)(stacked)
    parts = jnp.split(out, np.cumsum([1] + [b.shape[0] for b in s.blocks])[:-1])
    return [_Series(parts[0][0], parts[1:])]


def _quotient(prim, params, args):
    a, b = args
    if not isinstance(b, _Series):
        return [_map(lambda x: prim.bind(x, b), a)]
    a = a if isinstance(a, _Series) else _lift(a, b)
    return [_leibniz(lax.mul, a, _chain(lambda x: 1 / x, b))]


def _extremum(prim, params, args):
    like = next(a for a in args if isinstance(a, _Series))
    a, b = (
        x if isinstance(x, _Series) else _lift(jnp.broadcast_to(x, like.value.shape), like)
        for x in args
    )
    pick_a = prim.bind(a.value, b.value) == a.value
    blocks = [jnp.where(pick_a[None], x, y) for x, y in zip(a.blocks, b.blocks, strict=True)]
    return [_Series(jnp.where(pick_a, a.value, b.value), blocks)]


def _jointly_linear(prim, params, args):
    # constant float operands join as series with zero derivatives; integer and boolean operands
    # (indices, the predicate of select_n) stay as they are
    like = next(a for a in args if isinstance(a, _Series))
    args = [_lift(a, like) if not isinstance(a, _Series) and _is_float(a) else a for a in args]
    series = [i for i, a in enumerate(args) if isinstance(a, _Series)]

    def bind(*picked):
        full = list(args)
        for i, x in zip(series, picked, strict=True):
            full[i] = x
        return prim.bind(*full, **params)

    value = bind(*[args[i].value for i in series])
    blocks = [jax.vmap(bind)(*[args[i].blocks[k] for i in series]) for k in range(len(like.blocks))]
    return [_Series(value, blocks)]


def _linear(prim, params, args):
    if any(isinstance(a, _Series) for a in args[1:]):
        raise Unsupported(f"{prim.name} with a point-dependent second operand")
    return [_map(lambda x: prim.bind(x, *args[1:], **params), args[0])]


_RULES = {
    "split": _split,
    "pow": _power,
    **dict.fromkeys(_ELEMENTWISE, _elementwise),
    **dict.fromkeys(_LINEAR, _linear),
    **dict.fromkeys(("add", "sub", "add_any"), _sum),
    **dict.fromkeys(("mul", "dot_general"), _product),
    "div": _quotient,
    **dict.fromkeys(("max", "min"), _extremum),
    **dict.fromkeys(_JOINTLY_LINEAR, _jointly_linear),
}


def _apply(eqn, args: list) -> list:
    """One equation: ``args`` are constants or :class:`_Series`; returns a list of outputs."""
    prim, params = eqn.primitive, eqn.params
    if prim.name in _CALLS:
        jaxpr, consts = _inner_jaxpr(eqn)
        return _interpret(jaxpr, consts, args)
    dependent = any(isinstance(a, _Series) for a in args)
    if not dependent or not all(_is_float(v.aval) for v in eqn.outvars):
        # constants, or integer/boolean results (comparisons): no derivatives
        values = [a.value if isinstance(a, _Series) else a for a in args]
        out = prim.bind(*values, **params)
        return list(out) if prim.multiple_results else [out]
    if prim.name not in _RULES:
        raise Unsupported(f"no Taylor rule for {prim.name}")
    return _RULES[prim.name](prim, params, args)


def _read(env, var):
    return var.val if isinstance(var, core.Literal) else env[var]


def _interpret(jaxpr, consts, args) -> list:
    env = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        outs = _apply(eqn, [_read(env, v) for v in eqn.invars])
        env.update(zip(eqn.outvars, outs, strict=True))
    return [_read(env, v) for v in jaxpr.outvars]


def axis_derivatives(
    f: Callable, z: jax.Array, orders: dict[int, int]
) -> tuple[jax.Array, dict[int, list]]:
    r"""``f(z)`` and :math:`[\partial_a f, \partial_a^2 f, \dots, \partial_a^{k_a} f]` per axis.

    Args:
        f: function of points ``z`` of shape ``(..., d)``: one point, or a batch mapped
            pointwise (e.g. ``jax.vmap`` of a function of one point). A batch is faster than
            ``jax.vmap`` of this function: the derivative blocks then sit beside the batch rows
            and each layer is one plain matrix product.
        z: the point(s).
        orders: ``{axis: k_a}``, highest order wanted along each axis (1..4).

    Raises:
        Unsupported: ``f`` uses an operation without a Taylor rule, or an order above 4.
    """
    if not orders:
        return f(z), {}
    if max(orders.values()) > MAX_ORDER:
        raise Unsupported(f"Taylor pass stops at order {MAX_ORDER}")
    axes = sorted(orders, key=lambda a: -orders[a])
    K = orders[axes[0]]
    d = z.shape[-1]
    units = np.eye(d)[axes].reshape((len(axes),) + (1,) * (z.ndim - 1) + (d,))
    first = jnp.broadcast_to(jnp.asarray(units, z.dtype), (len(axes), *z.shape))
    higher = [
        jnp.zeros((sum(orders[a] >= k for a in axes), *z.shape), z.dtype) for k in range(2, K + 1)
    ]
    closed = jax.make_jaxpr(f)(jax.ShapeDtypeStruct(z.shape, z.dtype))
    outs = _interpret(closed.jaxpr, closed.consts, [_Series(z, [first, *higher])])
    if len(outs) != 1:
        raise Unsupported("f must return one array")
    (out,) = outs
    if not isinstance(out, _Series):  # f does not depend on z
        zero = jnp.zeros_like(out)
        return out, {a: [zero] * orders[a] for a in axes}
    per_axis = {a: [out.blocks[k][j] for k in range(orders[a])] for j, a in enumerate(axes)}
    return out.value, per_axis
