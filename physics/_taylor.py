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
    if getattr(fn, "tanh", False):
        a = jnp.tanh(x)
        s1 = 1 - a * a
        out = [a, s1, -2 * a * s1]
        out += [-2 * s1 * (1 - 3 * a * a), 8 * a * s1 * (2 - 3 * a * a)]
        return out[: order + 1]
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
_CALLS = {"jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call", "remat"}


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


def _apply(eqn, args: list):
    """One equation: ``args`` are constants or :class:`_Series`; returns a list of outputs."""
    prim, params = eqn.primitive, eqn.params
    dependent = [i for i, a in enumerate(args) if isinstance(a, _Series)]
    if prim.name in _CALLS:
        jaxpr, consts = _inner_jaxpr(eqn)
        return _interpret(jaxpr, consts, args)
    if not dependent or not all(_is_float(v.aval) for v in eqn.outvars):
        # constants, or integer/boolean results (comparisons): no derivatives
        values = [a.value if isinstance(a, _Series) else a for a in args]
        out = prim.bind(*values, **params)
        return list(out) if prim.multiple_results else [out]

    def bind_with(i):
        return lambda x: prim.bind(*args[:i], x, *args[i + 1 :], **params)

    if prim.name == "split" and dependent == [0]:
        s = args[0]
        values = prim.bind(s.value, **params)
        blocks = [jax.vmap(lambda x: prim.bind(x, **params))(b) for b in s.blocks]
        return [_Series(v, [b[i] for b in blocks]) for i, v in enumerate(values)]
    if prim.name == "pow":
        base, exponent = args
        if dependent == [0]:
            return [_chain(lambda x: prim.bind(x, exponent), base)]
        if dependent == [1]:
            return [_chain(lambda y: prim.bind(base, y), exponent)]
        log_base = _chain(jnp.log, base)  # x^y = exp(y log x)
        return [_chain(jnp.exp, _leibniz(lax.mul, exponent, log_base))]
    if prim.name in _ELEMENTWISE:
        fn = lambda x: prim.bind(x, **params)
        fn.tanh = prim.name == "tanh"
        return [_chain(fn, args[0])]
    if prim.name in _LINEAR and dependent == [0]:
        consts = args[1:]
        return [_map(lambda x: prim.bind(x, *consts, **params), args[0])]
    if prim.name in ("add", "sub", "add_any"):
        a, b = args
        if len(dependent) == 2:
            return [
                _Series(
                    prim.bind(a.value, b.value),
                    [prim.bind(x, y) for x, y in zip(a.blocks, b.blocks, strict=True)],
                )
            ]
        s = args[dependent[0]]
        value = prim.bind(a.value if a is s else a, b.value if b is s else b)
        blocks = s.blocks if (prim.name != "sub" or s is a) else [-x for x in s.blocks]
        return [_Series(value, [jnp.broadcast_to(x, (x.shape[0], *value.shape)) for x in blocks])]
    if prim.name in ("mul", "dot_general"):
        op = lambda x, y: prim.bind(x, y, **params)
        if len(dependent) == 2:
            return [_leibniz(op, *args)]
        i = dependent[0]
        if prim.name == "dot_general":
            # one product for the value and all derivative blocks (the point of this module)
            s = args[i]
            stacked = jnp.concatenate([s.value[None], *s.blocks])
            (contract, _), (batch, _) = params["dimension_numbers"]
            rank = s.value.ndim
            if i == 0 and not batch and tuple(contract) == (rank - 1,) and rank >= 2:
                # a rank-preserving fold of the block axis into the rows: one plain matmul
                flat = stacked.reshape((-1, *stacked.shape[2:]))
                out = bind_with(i)(flat)
                out = out.reshape(stacked.shape[:2] + out.shape[1:])
            else:
                out = jax.vmap(bind_with(i))(stacked)
            sizes = np.cumsum([1] + [b.shape[0] for b in s.blocks])[:-1]
            parts = jnp.split(out, sizes)
            return [_Series(parts[0][0], parts[1:])]
        return [_map(bind_with(i), args[i])]
    if prim.name == "div":
        a, b = args
        if dependent == [0]:
            return [_map(lambda x: prim.bind(x, b), a)]
        reciprocal = _chain(lambda x: 1 / x, b)
        a = a if isinstance(a, _Series) else _lift(a, b)
        return [_leibniz(lax.mul, a, reciprocal)]
    if prim.name in ("max", "min"):
        like = args[dependent[0]]
        shape = like.value.shape
        a, b = (
            x if isinstance(x, _Series) else _lift(jnp.broadcast_to(x, shape), like) for x in args
        )
        pick_a = prim.bind(a.value, b.value) == a.value
        return [
            _Series(
                jnp.where(pick_a, a.value, b.value),
                [jnp.where(pick_a[None], x, y) for x, y in zip(a.blocks, b.blocks, strict=True)],
            )
        ]
    if prim.name in _JOINTLY_LINEAR:
        like = args[dependent[0]]
        float_args = [
            i for i, a in enumerate(args) if _is_float(a.value if isinstance(a, _Series) else a)
        ]
        if prim.name == "select_n":
            float_args = float_args[1:] if float_args and float_args[0] == 0 else float_args
        lifted = list(args)
        for i in float_args:
            if not isinstance(lifted[i], _Series):
                lifted[i] = _lift(lifted[i], like) if prim.name != "pad" or i == 0 else lifted[i]
        if prim.name == "pad":  # padding value: a constant, zero in the derivatives
            pad_value = args[1].value if isinstance(args[1], _Series) else args[1]
            if isinstance(args[1], _Series):
                raise Unsupported("pad with a padding value that depends on the point")
            s = lifted[0]
            return [
                _Series(
                    prim.bind(s.value, pad_value, **params),
                    [
                        jax.vmap(lambda x: prim.bind(x, jnp.zeros_like(pad_value), **params))(b)
                        for b in s.blocks
                    ],
                )
            ]
        series = [i for i in float_args if isinstance(lifted[i], _Series)]
        others = {i: lifted[i] for i in range(len(lifted)) if i not in series}

        def bind_values(pick):
            full = [pick(lifted[i]) if i in series else others[i] for i in range(len(lifted))]
            return prim.bind(*full, **params)

        value = bind_values(lambda s: s.value)
        blocks = []
        for k in range(len(like.blocks)):

            def one(*xs):
                it = iter(xs)
                full = [next(it) if i in series else others[i] for i in range(len(lifted))]
                return prim.bind(*full, **params)

            blocks.append(jax.vmap(one)(*[lifted[i].blocks[k] for i in series]))
        return [_Series(value, blocks)]
    raise Unsupported(f"no Taylor rule for {prim.name}")


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
