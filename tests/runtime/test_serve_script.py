"""Script-mode inference: the user's hooks, and each framework's defaults for the ones left out.

Handlers are loaded as a model server loads them (`serve_script.load_handler` with the
environment the platform sets) and called with real request bodies; one test goes through a
real `python -m tsukuru.runtime.serve` process.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tests.runtime.script_mode_support import build_wheel
from tests.runtime.serve_support import start_server, synthetic_booster, write_model
from tsukuru.runtime.serve import InvocationError, StartupError
from tsukuru.runtime.serve_script import ScriptHandler, load_handler

MODEL_FN = """
    import os
    import joblib

    def model_fn(model_dir):
        return joblib.load(os.path.join(model_dir, "model.joblib"))
"""


def fitted_classifier() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return LogisticRegression().fit(x, y), x[:5]


def sklearn_model(tmp_path: Path, script: str, *, name: str = "inference.py") -> Path:
    model_dir = tmp_path / "model"
    code = tmp_path / "code"
    model_dir.mkdir(parents=True)
    code.mkdir(parents=True)
    model, _ = fitted_classifier()
    joblib.dump(model, model_dir / "model.joblib")
    (code / name).write_text(textwrap.dedent(script))
    return model_dir


def environ(tmp_path: Path, framework: str = "sklearn", **extra: str) -> dict[str, str]:
    values = {
        "TSUKURU_ALGORITHM": framework,
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": str(tmp_path / "code"),
        "TSUKURU_ENVS_DIR": str(tmp_path / "envs"),
    }
    values.update(extra)
    return values


def loaded(tmp_path: Path, script: str, **extra: str) -> ScriptHandler:
    model_dir = sklearn_model(tmp_path, script)
    return load_handler(model_dir, environ(tmp_path, **extra))


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def test_sklearn_defaults_decode_json_csv_and_npy_and_encode_by_accept(tmp_path: Path) -> None:
    handler = loaded(tmp_path, MODEL_FN)
    model, rows = fitted_classifier()
    expected = model.predict(rows.astype(np.float32)).tolist()

    body, media = handler.invoke(json.dumps(rows.tolist()).encode(), "application/json", None)
    assert (media, json.loads(body)) == ("application/json", expected)

    csv_rows = "\n".join(",".join(map(str, row)) for row in rows.tolist())
    body, media = handler.invoke(csv_rows.encode(), "text/csv; charset=utf-8", "text/csv")
    assert media == "text/csv"
    assert body.decode().split() == [str(v) for v in expected]

    body, media = handler.invoke(npy(rows), "application/x-npy", "application/x-npy")
    assert media == "application/x-npy"
    assert np.load(io.BytesIO(body)).tolist() == expected

    # */* and a list: the default accept, then the first type an encoder exists for
    assert handler.invoke(npy(rows), "application/x-npy", "*/*")[1] == "application/json"
    assert handler.invoke(npy(rows), "application/x-npy", "image/png, text/csv")[1] == "text/csv"


def test_default_codecs_refuse_what_they_cannot_read_or_write(tmp_path: Path) -> None:
    handler = loaded(tmp_path, MODEL_FN)
    with pytest.raises(InvocationError) as unsupported:
        handler.invoke(b"\x89PNG", "image/png", None)
    assert unsupported.value.status == 415
    assert "input_fn" in unsupported.value.message
    with pytest.raises(InvocationError) as unwritable:
        handler.invoke(b"[[1, 2, 3, 4]]", "application/json", "application/xml")
    assert unwritable.value.status == 415
    assert "output_fn" in unwritable.value.message
    with pytest.raises(InvocationError) as bad_csv:
        handler.invoke(b"1,2,x,4", "text/csv", None)
    assert bad_csv.value.status == 400


def test_user_hooks_replace_the_defaults(tmp_path: Path) -> None:
    script = (
        MODEL_FN
        + """
    import json

    def input_fn(body, content_type):
        assert isinstance(body, str), type(body)  # JSON arrives as text
        return json.loads(body)["rows"]

    def predict_fn(rows, model):
        return model.predict_proba(rows)[:, 1]

    def output_fn(prediction, accept):
        return json.dumps({"scores": [round(float(p), 6) for p in prediction]}), accept
    """
    )
    handler = loaded(tmp_path, script)
    model, rows = fitted_classifier()
    body, media = handler.invoke(
        json.dumps({"rows": rows.tolist()}).encode(), "application/json", "application/json"
    )
    assert media == "application/json"
    expected = [round(float(p), 6) for p in model.predict_proba(rows)[:, 1]]
    assert json.loads(body) == {"scores": expected}


def test_transform_fn_answers_alone_and_may_not_be_mixed(tmp_path: Path) -> None:
    script = (
        MODEL_FN
        + """
    def transform_fn(model, body, content_type, accept):
        return f"{type(model).__name__} {content_type} {accept} {len(body)}".encode(), "text/plain"
    """
    )
    handler = loaded(tmp_path, script)
    assert handler.invoke(b"abc", "application/octet-stream", "text/plain") == (
        b"LogisticRegression application/octet-stream text/plain 3",
        "text/plain",
    )
    mixed = script + "\n    def input_fn(body, content_type):\n        return body\n"
    with pytest.raises(StartupError, match="Cannot use transform_fn together with input_fn"):
        loaded(tmp_path / "mixed", mixed)


def test_sklearn_without_model_fn_says_what_to_write(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"define model_fn\(model_dir\)"):
        loaded(tmp_path, "import json\n")


def test_a_script_that_does_not_import_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(StartupError) as caught:
        loaded(tmp_path, "import os\n\ndef model_fn(model_dir:\n    pass\n")
    assert "inference.py failed to import (line 3)" in str(caught.value)
    assert "SyntaxError" in str(caught.value)


def test_code_inside_the_model_archive_is_found(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    (model_dir / "code").mkdir(parents=True)
    model, rows = fitted_classifier()
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "code" / "inference.py").write_text(textwrap.dedent(MODEL_FN))
    # the SDK's repacked models say /opt/ml/model/code; a bare archive has code/inference.py
    for env in (
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
        {},
    ):
        handler = load_handler(model_dir, {"TSUKURU_ALGORITHM": "sklearn", **env})
        body, _ = handler.invoke(json.dumps(rows.tolist()).encode(), "application/json", None)
        assert json.loads(body) == model.predict(rows).tolist()


def test_requirements_next_to_the_script_are_importable(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "shoutcase", "1.0", "def shout(text):\n    return text.upper() + '!'\n")
    script = (
        MODEL_FN
        + """
    import shoutcase

    def output_fn(prediction, accept):
        return shoutcase.shout(str(prediction.tolist())), "text/plain"
    """
    )
    model_dir = sklearn_model(tmp_path, script)
    (tmp_path / "code" / "requirements.txt").write_text(
        f"--no-index\n--find-links {wheels}\nshoutcase==1.0\n"
    )
    handler = load_handler(model_dir, environ(tmp_path))
    body, media = handler.invoke(b"[[5, 5, 0, 0]]", "application/json", None)
    assert (body, media) == (b"[1]!", "text/plain")
    assert list((tmp_path / "envs").glob("*/.tsukuru-ready"))


def test_xgboost_defaults_load_the_booster_and_read_csv_and_libsvm(tmp_path: Path) -> None:
    booster = synthetic_booster("binary:logistic", features=3)
    model_dir = write_model(tmp_path / "model", booster)
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("if __name__ == '__main__':\n    raise SystemExit(1)\n")
    handler = load_handler(
        model_dir,
        environ(tmp_path, "xgboost", SAGEMAKER_PROGRAM="train.py"),
    )
    import xgboost as xgb

    rows = np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, 0.1]])
    expected = booster.predict(xgb.DMatrix(rows)).tolist()
    body, media = handler.invoke(b"0.5,-1.0,2.0\n-0.3,0.8,0.1\n", "text/csv", "application/json")
    assert media == "application/json"
    np.testing.assert_allclose(json.loads(body), expected, rtol=1e-6)
    body, _ = handler.invoke(b"1 0:0.5 1:-1.0 2:2.0\n", "text/libsvm", "text/csv")
    np.testing.assert_allclose(float(body), expected[0], rtol=1e-6)


def test_a_model_server_process_serves_a_script(tmp_path: Path) -> None:
    model_dir = sklearn_model(tmp_path, MODEL_FN)
    model, rows = fitted_classifier()
    env = environ(tmp_path)
    server = start_server(model_dir, tmp_path / "run", env)
    try:
        answer = server.client.post(
            "/invocations",
            content=json.dumps(rows.tolist()),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == model.predict(rows.astype(np.float32)).tolist()
        failing = server.client.post(
            "/invocations", content=b"[1, 2]", headers={"Content-Type": "application/json"}
        )
        assert failing.status_code == 500  # the model needs 2-D input: the hook raised
        assert "ValueError" in failing.text
    finally:
        server.stop()
    assert "script mode (scikit-learn): inference.py" in server.log()
