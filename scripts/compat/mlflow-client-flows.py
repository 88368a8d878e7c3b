"""Drives the unmodified MLflow Python client against a Registry server and reports PASS/FAIL
per flow of mlflow-api.md §1.9. Needs MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN.
Runs with MLflow 2.x and 3.x clients; with 3.x, log_model makes a logged model, and the flows
that only 3.x has (logged models, their metrics, models:/<model_id>) run as well.

    python3 scripts/compat/mlflow-client-flows.py
"""
import math
import os
import sys
import tempfile
import time
import traceback

import mlflow
from mlflow.tracking import MlflowClient

results = []


def step(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, True, ""))
            print(f"PASS  {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            results.append((name, False, f"{type(e).__name__}: {e}"))
            print(f"FAIL  {name}: {type(e).__name__}: {e}", flush=True)
            if os.environ.get("COMPAT_TRACEBACK"):
                traceback.print_exc()
        return fn

    return wrap


suffix = str(int(time.time() * 1000))
client = MlflowClient()
state = {}
MLFLOW_3 = int(mlflow.__version__.split(".")[0]) >= 3


@step("set_experiment (get-by-name 404 → create → get)")
def _():
    exp = mlflow.set_experiment(f"compat-{suffix}")
    state["exp"] = exp.experiment_id
    assert exp.name == f"compat-{suffix}"


@step("start_run, log_param, log_metric (incl. NaN), set_tag")
def _():
    run = mlflow.start_run(run_name="compat-run")
    state["run"] = run.info.run_id
    mlflow.log_param("lr", 0.01)
    mlflow.log_metric("rmse", 0.5, step=0)
    mlflow.log_metric("rmse", 0.4, step=1)
    mlflow.log_metric("nan_metric", float("nan"))
    mlflow.set_tag("team", "compat")


@step("log_params / log_metrics / set_tags (log-batch)")
def _():
    mlflow.log_params({"depth": 3, "model": "xgb"})
    mlflow.log_metrics({"r2": 0.9, "mae": 0.1}, step=2)
    mlflow.set_tags({"a": "1", "b": "2"})


@step("log_input (dataset lineage)")
def _():
    import pandas as pd

    ds = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), source="https://example.com/compat.csv", name="compat-ds")
    mlflow.log_input(ds, context="training")


@step("log_artifact / log_artifacts")
def _():
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "hello.txt"), "w") as f:
        f.write("hello registry\n")
    os.makedirs(os.path.join(d, "sub"))
    with open(os.path.join(d, "sub", "data.csv"), "w") as f:
        f.write("a,b\n1,2\n")
    mlflow.log_artifact(os.path.join(d, "hello.txt"))
    mlflow.log_artifacts(d, artifact_path="bundle")


@step("pyfunc log_model (3.x: logged-models + artifacts + runs/outputs)" if MLFLOW_3 else "pyfunc log_model (2.x: artifacts + runs/log-model)")
def _():
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    info = mlflow.pyfunc.log_model("model", python_model=Echo())
    if MLFLOW_3:
        state["model_id"] = info.model_id
        assert info.model_uri == f"models:/{info.model_id}", (info.model_id, info.model_uri)


@step("end_run")
def _():
    mlflow.end_run()
    assert client.get_run(state["run"]).info.status == "FINISHED"


@step("get_run returns params, latest metrics, tags, NaN")
def _():
    run = client.get_run(state["run"])
    assert run.data.params["lr"] == "0.01", run.data.params
    assert run.data.metrics["rmse"] == 0.4, run.data.metrics
    assert math.isnan(run.data.metrics["nan_metric"])
    assert run.data.tags["team"] == "compat"


@step("search_runs with filter and order_by")
def _():
    df = mlflow.search_runs([state["exp"]], filter_string="metrics.rmse < 0.45 and params.model = 'xgb'", order_by=["metrics.rmse ASC"])
    assert len(df) == 1, df


@step("get_metric_history")
def _():
    hist = client.get_metric_history(state["run"], "rmse")
    assert [m.value for m in hist] == [0.5, 0.4], hist


@step("list_artifacts / download_artifacts")
def _():
    names = sorted(f.path for f in client.list_artifacts(state["run"]))
    assert "hello.txt" in names and "bundle" in names, names
    # 3.x keeps the model under the logged model's artifact location, not the run's.
    assert MLFLOW_3 or "model" in names, names
    sub = sorted(f.path for f in client.list_artifacts(state["run"], "bundle/sub"))
    assert sub == ["bundle/sub/data.csv"], sub
    d = mlflow.artifacts.download_artifacts(run_id=state["run"], artifact_path="bundle")
    assert open(os.path.join(d, "sub", "data.csv")).read() == "a,b\n1,2\n"


if MLFLOW_3:

    @step("3.x: get_logged_model, list_logged_model_artifacts, the run's outputs, search_logged_models")
    def _():
        lm = client.get_logged_model(state["model_id"])
        assert (lm.name, lm.source_run_id, lm.experiment_id) == ("model", state["run"], state["exp"]), lm
        assert getattr(lm.status, "name", str(lm.status)).endswith("READY"), lm.status
        assert "MLmodel" in [f.path for f in client.list_logged_model_artifacts(state["model_id"])]
        assert state["model_id"] in [o.model_id for o in client.get_run(state["run"]).outputs.model_outputs]
        found = mlflow.search_logged_models(experiment_ids=[state["exp"]], filter_string="name = 'model'", output_format="list")
        assert [m.model_id for m in found] == [state["model_id"]], found


@step("register_model (runs:/ URI) twice → versions 1 and 2")
def _():
    name = f"compat-model-{suffix}"
    state["model"] = name
    v1 = mlflow.register_model(f"runs:/{state['run']}/model", name)
    v2 = mlflow.register_model(f"runs:/{state['run']}/model", name)
    assert (v1.version, v2.version) == ("1", "2"), (v1.version, v2.version)


@step("transition_model_version_stage Staging → Production, v2 with archive_existing_versions")
def _():
    name = state["model"]
    client.transition_model_version_stage(name, "1", "Staging")
    client.transition_model_version_stage(name, "1", "production")
    client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Production"


@step("set_registered_model_alias champion → 2")
def _():
    client.set_registered_model_alias(state["model"], "champion", "2")
    assert client.get_model_version_by_alias(state["model"], "champion").version == "2"


for uri_name, uri in [("stage", "models:/{m}/Production"), ("alias", "models:/{m}@champion"), ("latest", "models:/{m}/latest"), ("number", "models:/{m}/1")]:

    @step(f"load_model by {uri_name}")
    def _(uri=uri):
        import pandas as pd

        model = mlflow.pyfunc.load_model(uri.format(m=state["model"]))
        out = model.predict(pd.DataFrame({"x": [1]}))
        assert list(out["x"]) == [1]


if MLFLOW_3:

    @step("3.x: register_model from runs:/ points at models:/<model_id>; load_model by it")
    def _():
        import pandas as pd

        mv = client.get_model_version(state["model"], "2")
        assert (mv.source, mv.run_id) == (f"models:/{state['model_id']}", state["run"]), (mv.source, mv.run_id)
        model = mlflow.pyfunc.load_model(f"models:/{state['model_id']}")
        assert list(model.predict(pd.DataFrame({"x": [1]}))["x"]) == [1]


@step("search_registered_models / search_model_versions")
def _():
    models = client.search_registered_models(filter_string=f"name = '{state['model']}'")
    assert [m.name for m in models] == [state["model"]]
    versions = client.search_model_versions(f"name = '{state['model']}'")
    assert sorted(v.version for v in versions) == ["1", "2"]


@step("rename_registered_model, delete_model_version")
def _():
    new = state["model"] + "-renamed"
    client.rename_registered_model(state["model"], new)
    state["model"] = new
    client.delete_model_version(new, "1")
    assert sorted(v.version for v in client.search_model_versions(f"name = '{new}'")) == ["2"]


if MLFLOW_3:

    @step("3.x: initialize_logged_model, log_metric(model_id=), model params, finalize; the model's metrics")
    def _():
        with mlflow.start_run(run_name="compat-3x") as run:
            lm = mlflow.initialize_logged_model(name="compat-external", params={"k": "v"}, tags={"t": "1"})
            mlflow.log_metric("acc", 0.75, step=3, model_id=lm.model_id)
            mlflow.log_model_params({"p2": "x"}, model_id=lm.model_id)
            mlflow.finalize_logged_model(lm.model_id, "READY")
        got = client.get_logged_model(lm.model_id)
        assert (got.params, got.tags.get("t")) == ({"k": "v", "p2": "x"}, "1"), (got.params, got.tags)
        assert [(m.key, m.value, m.step) for m in got.metrics or []] == [("acc", 0.75, 3)], got.metrics
        assert client.get_run(run.info.run_id).data.metrics == {"acc": 0.75}
        found = mlflow.search_logged_models(experiment_ids=[state["exp"]], filter_string="metrics.acc > 0.5", output_format="list")
        assert [m.model_id for m in found] == [lm.model_id], found


if MLFLOW_3:

    @step("3.x: prompts: register_prompt twice, load_prompt by version, @alias and latest, search_prompts; not a model")
    def _():
        name = f"compat-prompt-{suffix}"
        mlflow.genai.register_prompt(name=name, template="Hello {{name}}!")
        mlflow.genai.register_prompt(name=name, template="Hi {{name}}, you are {{role}}.", commit_message="add role")
        assert mlflow.genai.load_prompt(f"prompts:/{name}/1").format(name="Ada") == "Hello Ada!"
        mlflow.genai.set_prompt_alias(name, alias="prod", version=1)
        assert mlflow.genai.load_prompt(f"prompts:/{name}@prod").version == 1
        latest = mlflow.genai.load_prompt(f"prompts:/{name}@latest")
        assert (latest.version, latest.format(name="Ada", role="admin")) == (2, "Hi Ada, you are admin."), latest
        assert name in [p.name for p in mlflow.genai.search_prompts(filter_string=f"name = '{name}'")]
        assert name not in [m.name for m in client.search_registered_models()]


passed = sum(1 for r in results if r[1])
print(f"\n{passed}/{len(results)} flows passed")
sys.exit(0 if passed == len(results) else 1)
