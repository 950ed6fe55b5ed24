"""``nets.rollout.model``: the rollout model file: round trips and clear errors."""

import json

import numpy as np
import pytest
from rollout_helpers import LAY, random_model, random_position

from nets.rollout import features as F
from nets.rollout import model as RM
from nets.rollout import policy as R


def test_model_file_round_trip(tmp_path):
    model = random_model(9)
    model.provenance = {"command": "tengen train rollout", "positions_seen": 12}
    path = tmp_path / "r.npz"
    RM.save_rollout(model, path)
    back = RM.load_model(path)
    assert np.array_equal(back.weights, model.weights)
    assert back.provenance == model.provenance
    s = random_position(9, 20, 1)
    assert np.array_equal(back.logits(s), model.logits(s))
    assert callable(R.load_rollout(path))
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"][()]))
    assert meta["feature_set"] == F.FEATURE_SET_VERSION and meta["size"] == LAY.size


def _write(path, weights, meta):
    with open(path, "wb") as f:
        np.savez(f, weights=weights, meta=np.array(json.dumps(meta)))


def test_bad_model_files_are_clear_errors(tmp_path):
    good = {"format": RM.FILE_FORMAT, "feature_set": F.FEATURE_SET_VERSION,
            "groups": LAY.sizes(), "size": LAY.size, "provenance": {}}
    w = np.zeros(LAY.size, np.float32)
    cases = {
        "missing.npz": None,
        "garbage.npz": b"not a zip file at all",
        "truncated.npz": "truncate",
        "old.npz": (w, dict(good, feature_set="rollout-v0")),
        "short.npz": (w[:100], good),
        "nan.npz": (np.full(LAY.size, np.nan, np.float32), good),
        "other.npz": (w, dict(good, format="something-else")),
        "groups.npz": (w, dict(good, groups={"pattern": 1})),
    }
    messages = {"missing.npz": "no such", "garbage.npz": "not a readable",
                "truncated.npz": "not a readable", "old.npz": "feature set",
                "short.npz": "expected", "nan.npz": "finite", "other.npz": "not a tengen-rollout",
                "groups.npz": "feature groups"}
    for name, spec in cases.items():
        path = tmp_path / name
        if isinstance(spec, bytes):
            path.write_bytes(spec)
        elif spec == "truncate":
            _write(path, w, good)
            path.write_bytes(path.read_bytes()[:1000])
        elif spec is not None:
            _write(path, *spec)
        with pytest.raises(RM.RolloutFileError, match=messages[name]) as e:
            R.load_rollout(path)
        assert name in str(e.value)
    # an object array would need pickle: refused, never unpickled
    path = tmp_path / "pickle.npz"
    with open(path, "wb") as f:
        np.savez(f, weights=np.array([object()], dtype=object), meta=np.array("{}"))
    with pytest.raises(RM.RolloutFileError):
        RM.load_model(path)
