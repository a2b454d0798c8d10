"""Trained twin pieces on disk: the few-shot body (``sciml twin pretrain``) and a PINN's state
networks (every ``sciml twin fit --method pinn-*`` run directory, the source of transfer); the
helpers also store the formula surrogates (:mod:`sciml.twin._surrogates`). Arrays as flax
msgpack, beside a JSON file of settings and provenance; both written atomically, and checked
against the networks' shapes on load.
"""

import json
from pathlib import Path

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

from sciml import _io
from sciml.twin._few_shot_body import HEADS, Body, FewShotSettings, Pretrained
from sciml.twin._pinn import PinnFit, PinnSettings, StateNetworks

BODY = "body"
NETWORKS = "networks"


def write_arrays(directory: Path, name: str, arrays, meta: dict) -> None:
    state = flax.serialization.to_state_dict(jax.tree.map(np.asarray, arrays))
    payload = flax.serialization.msgpack_serialize(state)
    _io.atomic_write(directory / f"{name}.msgpack", lambda path: path.write_bytes(payload))
    _io.write_json(directory / f"{name}.json", meta)


def read_arrays(directory: Path, name: str, what: str, command: str) -> tuple[dict, dict]:
    directory = Path(directory)
    arrays, meta = directory / f"{name}.msgpack", directory / f"{name}.json"
    if not (arrays.exists() and meta.exists()):
        raise FileNotFoundError(f"no {what} in {directory} ({name}.msgpack/.json); {command}")
    return flax.serialization.msgpack_restore(arrays.read_bytes()), json.loads(meta.read_text())


def shaped_like(template, stored, what: str):
    """``stored`` as arrays in ``template``'s tree, or a one-line error naming the mismatch."""
    mine = jax.tree_util.tree_flatten_with_path(template)[0]
    try:
        theirs = jax.tree.leaves(jax.tree.map(np.asarray, stored))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what}: unreadable arrays ({error})") from None
    if len(mine) != len(theirs):
        raise ValueError(f"{what}: {len(theirs)} arrays, the networks need {len(mine)}")
    for (path, leaf), given in zip(mine, theirs, strict=True):
        if leaf.shape != given.shape:
            name = jax.tree_util.keystr(path)
            raise ValueError(f"{what}: {name} has shape {given.shape}, expected {leaf.shape}")
    treedef = jax.tree.structure(template)
    return jax.tree.unflatten(treedef, [jnp.asarray(a) for a in theirs])


def save_body(directory: Path | str, pretrained: Pretrained, provenance: dict) -> None:
    """``directory/body.msgpack`` (body, lab heads and biases) and ``body.json``."""
    arrays = {"body": pretrained.body, "heads": pretrained.heads, "biases": pretrained.biases}
    meta = {
        "length": pretrained.length,
        "settings": pretrained.settings,
        "lab_windows": int(pretrained.heads.shape[0]),
        "wall_seconds": round(pretrained.wall_seconds, 2),
        "compile_seconds": round(pretrained.compile_seconds, 2),
        "final_loss": pretrained.history[-1]["loss"] if pretrained.history else None,
        **provenance,
    }
    write_arrays(Path(directory), BODY, arrays, meta)


def load_body(directory: Path | str) -> tuple[Pretrained, dict]:
    """The body written by :func:`save_body` and its JSON metadata."""
    stored, meta = read_arrays(directory, BODY, "pre-trained body", "run sciml twin pretrain first")
    settings = FewShotSettings(**meta["settings"])
    count = meta["lab_windows"]
    template = {
        "body": Body(settings.width, settings.depth).init(jax.random.PRNGKey(0), jnp.zeros((1, 1))),
        "heads": jnp.zeros((count, HEADS, settings.width)),
        "biases": jnp.zeros((count, HEADS)),
    }
    arrays = shaped_like(template, stored, f"{directory}/{BODY}.msgpack")
    pretrained = Pretrained(
        arrays["body"],
        arrays["heads"],
        arrays["biases"],
        float(meta["length"]),
        meta["settings"],
        [],
        float(meta["wall_seconds"]),
        float(meta["compile_seconds"]),
    )
    return pretrained, meta


def save_networks(directory: Path | str, fit: PinnFit, observed) -> None:
    """``directory/networks.msgpack`` (one state network per window) and ``networks.json``
    (settings, θ̂, ρ̂ and the observed signals): the source of multi-stage transfer."""
    meta = {
        "settings": fit.settings,
        "windows": int(jax.tree.leaves(fit.networks)[0].shape[0]),
        "log_factors": np.asarray(fit.log_factors).tolist(),
        "theta": fit.theta,
        "observed": list(observed),
    }
    write_arrays(Path(directory), NETWORKS, fit.networks, meta)


def load_networks(directory: Path | str) -> PinnFit:
    """A source PINN written by :func:`save_networks`: ``networks``, ``log_factors``,
    ``theta`` and ``settings`` (what :func:`sciml.twin._multi_stage.fit_multi_stage` needs)."""
    stored, meta = read_arrays(
        directory, NETWORKS, "PINN networks", "fit a source with sciml twin fit --method pinn-*"
    )
    settings = PinnSettings(**meta["settings"])
    model = StateNetworks(settings.variant == "V0", settings.width, settings.depth)
    keys = jax.random.split(jax.random.PRNGKey(0), meta["windows"])
    template = jax.vmap(lambda k: model.init(k, jnp.zeros((1, 1))))(keys)
    networks = shaped_like(template, stored, f"{directory}/{NETWORKS}.msgpack")
    return PinnFit(
        networks=networks,
        log_factors=np.asarray(meta["log_factors"]),
        theta=meta["theta"],
        settings=meta["settings"],
    )
