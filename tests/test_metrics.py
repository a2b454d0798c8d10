"""Metrics against values worked out by hand from their formulas (3-4-5 and 6-8-10 triangles)."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import metrics

# float32 arithmetic on numbers of order 10: a few ulps of relative error.
RTOL = 1e-6

# Two samples of two points each. Reference norms: |(3, 4)| = 5, |(6, 8)| = 10.
REF = np.array([[3.0, 4.0], [6.0, 8.0]], dtype=np.float32)
# Errors: |(0, 1)| = 1 on sample 0 and |(3, 4)| = 5 on sample 1.
ERR = np.array([[0.0, 1.0], [3.0, 4.0]], dtype=np.float32)
PRED = REF + ERR


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=RTOL)


@pytest.mark.parametrize("to_array", [np.asarray, jnp.asarray], ids=["numpy", "jax"])
def test_rel_l2_global_and_per_sample(to_array):
    pred, ref = to_array(PRED), to_array(REF)
    # Global: sqrt(0 + 1 + 9 + 16) / sqrt(9 + 16 + 36 + 64) = sqrt(26 / 125).
    close(metrics.rel_l2(pred, ref), math.sqrt(26 / 125))
    # Per sample: 1/5 and 5/10; their mean 0.35 differs from the global value 0.456.
    close(metrics.rel_l2(pred, ref, axis=1), [0.2, 0.5])
    close(metrics.rel_l2(pred, ref, axis=-1).mean(), 0.35)
    # Per point (reducing axis 0): |(0, 3)| / |(3, 6)| and |(1, 4)| / |(4, 8)|.
    close(metrics.rel_l2(pred, ref, axis=0), [3 / math.sqrt(45), math.sqrt(17 / 80)])


def test_rel_l2_reduces_several_axes():
    # Fields [B=2, X=2, C=1]: axis=(1, 2) gives one error per sample.
    close(metrics.rel_l2(PRED[..., None], REF[..., None], axis=(1, 2)), [0.2, 0.5])


def test_rmse():
    # Mean of squared errors (0 + 1 + 9 + 16) / 4 = 6.5.
    close(metrics.rmse(PRED, REF), math.sqrt(6.5))
    # Per sample: sqrt(1 / 2) and sqrt(25 / 2).
    close(metrics.rmse(PRED, REF, axis=1), [math.sqrt(0.5), math.sqrt(12.5)])


def test_max_error():
    close(metrics.max_error(PRED, REF), 4.0)
    close(metrics.max_error(PRED, REF, axis=1), [1.0, 4.0])
    # The absolute value matters: an error of -5 beats one of +4.
    close(metrics.max_error(REF - np.float32(5.0) * (ERR > 3), REF), 5.0)


def test_nrmse_matches_pdebench_definition():
    # A trajectory [B=1, T=2, X=2, C=1]: time step 0 is sample 0 above, time step 1 is sample 1.
    pred, ref = PRED[None, :, :, None], REF[None, :, :, None]
    # Per (b, t, c): RMSE / RMS of ref over x, i.e. 1/5 and 5/10; averaged: 0.35.
    close(metrics.nrmse(pred, ref, spatial_axes=2), 0.35)
    # Not the same as the relative L2 error over everything, sqrt(26 / 125) = 0.456.
    assert not np.isclose(float(metrics.nrmse(pred, ref, spatial_axes=2)), math.sqrt(26 / 125))


def test_nrmse_is_mean_of_per_slice_rel_l2():
    kp, kr = jax.random.split(jax.random.key(0))
    pred = jax.random.normal(kp, (3, 4, 8, 6, 2))  # [B, T, X, Y, C]
    ref = jax.random.normal(kr, (3, 4, 8, 6, 2))
    expected = metrics.rel_l2(pred, ref, axis=(2, 3)).mean()
    close(metrics.nrmse(pred, ref, spatial_axes=(2, 3)), float(expected))
    # The position of the axes does not matter: PDEBench's own layout is [B, X, Y, T, C].
    pdebench_layout = (0, 2, 3, 1, 4)
    close(
        metrics.nrmse(pred.transpose(pdebench_layout), ref.transpose(pdebench_layout), (1, 2)),
        float(expected),
    )


@pytest.mark.parametrize(
    "metric",
    [
        metrics.rel_l2,
        metrics.rmse,
        metrics.max_error,
        functools.partial(metrics.nrmse, spatial_axes=1),
    ],
    ids=["rel_l2", "rmse", "max_error", "nrmse"],
)
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError, match=r"pred \(2, 3\) and ref \(3, 2\)"):
        metric(np.zeros((2, 3)), np.ones((3, 2)))


def test_invalid_axes():
    with pytest.raises(ValueError, match="out of range"):
        metrics.rel_l2(PRED, REF, axis=2)
    with pytest.raises(ValueError, match="same axis twice"):
        metrics.rmse(PRED, REF, axis=(1, -1))
    with pytest.raises(ValueError, match="at least one axis"):
        metrics.nrmse(PRED, REF, spatial_axes=())
    with pytest.raises(ValueError, match="must be integers"):
        metrics.rmse(PRED, REF, axis=(0.5,))
    # NumPy integers are valid axes.
    close(metrics.rel_l2(PRED, REF, axis=np.int64(1)), [0.2, 0.5])


def test_jit_compatible():
    pred, ref = jnp.asarray(PRED), jnp.asarray(REF)
    for metric, expected in [
        (metrics.rel_l2, math.sqrt(26 / 125)),
        (functools.partial(metrics.rel_l2, axis=1), [0.2, 0.5]),
        (metrics.rmse, math.sqrt(6.5)),
        (metrics.max_error, 4.0),
        (functools.partial(metrics.nrmse, spatial_axes=1), 0.35),
    ]:
        close(jax.jit(metric)(pred, ref), expected)
    # Shapes are checked while tracing too.
    with pytest.raises(ValueError, match="same shape"):
        jax.jit(metrics.rmse)(pred, ref[:1])


def test_integer_inputs_are_promoted():
    close(metrics.rel_l2(np.array([3, 5]), np.array([3, 4])), 0.2)
    assert jnp.issubdtype(metrics.rmse(np.array([3]), np.array([0])).dtype, jnp.floating)


def test_float64_under_x64(x64):
    # With x64 the metrics keep double precision: 1e-10 survives where float32 would round it.
    ref = np.array([1.0, 0.0])
    out = metrics.rel_l2(ref + np.array([1e-10, 0.0]), ref)
    assert out.dtype == jnp.float64
    np.testing.assert_allclose(float(out), 1e-10, rtol=1e-6)
