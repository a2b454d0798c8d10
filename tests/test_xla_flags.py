"""The XLA flags ``import sciml`` sets: added once, never over a user's own value."""

import os

from sciml import _xla_flags

FLAG = "--xla_cpu_experimental_ynn_fusion_type"


def test_the_default_is_added_to_other_flags(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
    monkeypatch.delenv("SCIML_XLA_DEFAULTS", raising=False)
    _xla_flags.apply_defaults()
    _xla_flags.apply_defaults()  # idempotent
    assert os.environ["XLA_FLAGS"] == f"--xla_force_host_platform_device_count=4 {FLAG}="


def test_a_users_value_wins_and_the_defaults_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", f"{FLAG}=dot")
    _xla_flags.apply_defaults()
    assert os.environ["XLA_FLAGS"] == f"{FLAG}=dot"
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setenv("SCIML_XLA_DEFAULTS", "0")
    _xla_flags.apply_defaults()
    assert os.environ["XLA_FLAGS"] == ""
