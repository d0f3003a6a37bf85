"""WECHATPAY_KEY_MODES decides what server mode needs: certificate mode needs no public key."""

from __future__ import annotations

from tests.smart_container.test_modes import PROBE, WECHATPAY_ENV, missing_in, run_python

SERVER = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "DJANGO_SECRET_KEY": "k"}
WITHOUT_PUBLIC_KEY = {k: v for k, v in WECHATPAY_ENV.items() if not k.startswith("WECHATPAY_PUBLIC_KEY")}


def test_certificate_mode_starts_without_a_public_key(tmp_path):
    env = {"SC_VAR_DIR": str(tmp_path), **SERVER, **WITHOUT_PUBLIC_KEY, "WECHATPAY_KEY_MODES": "certificate"}
    started = run_python(PROBE, env)
    assert started.returncode == 0, started.stderr


def test_public_key_mode_names_the_missing_public_key(tmp_path):
    for modes in ("public_key", "public_key,certificate"):
        env = {"SC_VAR_DIR": str(tmp_path), **SERVER, **WITHOUT_PUBLIC_KEY, "WECHATPAY_KEY_MODES": modes}
        refused = run_python(PROBE, env)
        assert refused.returncode != 0
        assert missing_in(refused.stderr.strip().splitlines()[-1]) == {
            "WECHATPAY_PUBLIC_KEY_FILE",
            "WECHATPAY_PUBLIC_KEY_ID",
        }


def test_an_unknown_mode_is_refused_even_embedded(tmp_path):
    refused = run_python(PROBE, {"SC_VAR_DIR": str(tmp_path), "WECHATPAY_KEY_MODES": "certificates"})
    assert refused.returncode != 0
    assert "WECHATPAY_KEY_MODES='certificates'" in refused.stderr and "public_key or certificate" in refused.stderr
