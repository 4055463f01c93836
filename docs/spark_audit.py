"""Call every public analysis of segkit.__all__ that takes transactions with a Spark-backed Transactions.

Prints, per call: ok (ran, the canonical table never collected), COLLECTS (ran, but read Transactions.data
or to_arrow), or FAILS (the error). Needs the segkit[spark] extra and Java; about 5 minutes on 2 cores:

    .venv/bin/python docs/spark_audit.py

The list it printed is in docs/cluster.md, "What runs on Spark".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the parity tests' helpers
import tempfile
import time
import traceback
import warnings

import ibis
import matplotlib

matplotlib.use("Agg")
from test_engine_backends import crm_on, on_backend

import segkit
from segkit._spark import spark_session
from segkit.report._notebook import sample_path

warnings.simplefilter("ignore")
AS_OF, CUTOFF = "2024-10-01", "2024-06-01"
session = spark_session(
    spark_sql_shuffle_partitions="1", spark_default_parallelism="1", spark_ui_showConsoleProgress="false"
)
session.conf.set("spark.sql.codegen.wholeStage", "false")
session.conf.set("spark.sql.adaptive.enabled", "false")
session.sparkContext.setLogLevel("ERROR")
ref = segkit.read_transactions(sample_path())
tx = on_backend(ibis.pyspark.connect(session), ref)
out = {}
tmp = tempfile.mkdtemp()


def run(name, call):
    tx._data = tx._arrow = None
    start = time.time()
    try:
        result = call()
        status = "ok"
    except Exception as exc:
        result, status = None, f"FAILS {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        if "-v" in sys.argv:
            traceback.print_exc()
    if tx._data is not None or tx._arrow is not None:
        status = "COLLECTS" if status == "ok" else status + " (after collecting)"
    print(f"{name:28s} {status}  ({time.time() - start:.1f} s)", flush=True)
    out[name] = result
    return result


s = segkit
run("as_of_date", lambda: s.as_of_date(tx, AS_OF))
run("snapshot", lambda: repr(s.snapshot(tx, as_of=AS_OF)))
run("date_range", lambda: s.date_range(tx))
run("customer_summary", lambda: s.customer_summary(tx, as_of=AS_OF))
run("customer_days", lambda: s.customer_days(tx, as_of=AS_OF))
run("customer_gaps", lambda: s.customer_gaps(tx, as_of=AS_OF))
run("customer_main_value", lambda: s.customer_main_value(tx, "channel", as_of=AS_OF))
run("customer_mix", lambda: s.customer_mix(tx, "category", as_of=AS_OF))
run("customer_period_matrix", lambda: s.customer_period_matrix(tx, as_of=AS_OF))
run(
    "customer_period_table",
    lambda: s.customer_period_table(s.snapshot(tx, as_of=AS_OF), "month").count().execute(),
)
run("customer_periods", lambda: s.customer_periods(tx, as_of=AS_OF, fill_zeros=True))
run("customer_window_totals", lambda: s.customer_window_totals(tx, start="2024-01-01", as_of=AS_OF))
run("known_customers", lambda: s.known_customers(tx, before=AS_OF))
run("last_purchase_and_revenue", lambda: s.last_purchase_and_revenue(tx, as_of=AS_OF))
run("period_totals", lambda: s.period_totals(tx, as_of=AS_OF))
abc = run("abc", lambda: s.abc(tx, as_of=AS_OF))
run("abc_portrait", lambda: s.abc_portrait(abc, tx))
axyz = run("abc_xyz", lambda: s.abc_xyz(tx, as_of=AS_OF))
run("concentration", lambda: s.concentration(tx, as_of=AS_OF))
run("pareto_curve", lambda: s.pareto_curve(tx, as_of=AS_OF))
run("plot_pareto", lambda: s.plot_pareto(tx, as_of=AS_OF))
run("plot_period_totals", lambda: s.plot_period_totals(tx, as_of=AS_OF))
xyz = run("xyz", lambda: s.xyz(tx, as_of=AS_OF))
run("xyz_window", lambda: s.xyz_window(tx, as_of=AS_OF))
run("plot_abc_xyz_heatmap", lambda: s.plot_abc_xyz_heatmap(axyz))
run("plot_cv_distribution", lambda: s.plot_cv_distribution(xyz))
run("plot_regularity", lambda: s.plot_regularity(xyz))
r = run("rfm", lambda: s.rfm(tx, as_of=AS_OF))
run("migration_baseline", lambda: s.migration_baseline(tx, as_of=AS_OF, reports_root=tmp))
bt = run("btyd_summary", lambda: s.btyd_summary(tx, as_of=AS_OF, calibration_end=CUTOFF))
model = s.BetaGeoModel().fit(bt) if bt is not None else None
run("cumulative_tracking", lambda: s.cumulative_tracking(model, tx, bt))
run("customer_features", lambda: s.customer_features(tx, as_of=AS_OF))
run("personas", lambda: s.personas(tx, as_of=AS_OF, k_range=(3, 4)))
run("Personas.fit", lambda: s.Personas(k_range=(3, 4)).fit(tx, as_of=AS_OF))
run("churn_durations", lambda: s.churn_durations(tx, as_of=AS_OF))
run("churn_features", lambda: s.churn_features(tx, cutoff=CUTOFF))
run("churn_labels", lambda: s.churn_labels(tx, cutoff=CUTOFF))
run("churn_rate", lambda: s.churn_rate(tx, as_of=AS_OF))
run("ChurnModel.fit", lambda: s.ChurnModel().fit(tx, cutoff=CUTOFF))
run("client_base", lambda: s.client_base(tx, as_of=AS_OF))
c = run("cohorts", lambda: s.cohorts(tx, as_of=AS_OF))
run("plot_retention_curves", lambda: s.plot_retention_curves(tx))
run("plot_retention_heatmap", lambda: s.plot_retention_heatmap(tx))
run("customer_status", lambda: s.customer_status(tx, as_of=AS_OF))
run("inactivity_threshold", lambda: s.inactivity_threshold(tx, as_of=AS_OF))
run("status_transitions", lambda: s.status_transitions(tx, previous="2024-04-01", as_of=AS_OF))
run("survival_curves", lambda: s.survival_curves(tx, as_of=AS_OF))
run("data_fingerprint", lambda: s.data_fingerprint(tx))
run("run_manifest", lambda: s.run_manifest(tx, parameters={}, as_of=AS_OF))
run("save_report_table", lambda: s.save_report_table(tx, tmp))
run("load_report_data", lambda: s.load_report_data(tx))
# The CRM analyses, on the CRM sample's own orders copied to Spark.
crm = crm_on(tx)
ctx = crm.transactions
for name, call in [
    ("read_crm", lambda: s.read_crm({}, transactions=ctx)),
    ("crm_as_of", lambda: s.crm_as_of(crm)),
    ("loyalty_scores", lambda: s.loyalty_scores(crm)),
    ("activity_capacity", lambda: s.activity_capacity(crm)),
    ("base_states", lambda: s.base_states(crm)),
    ("base_structure", lambda: s.base_structure(crm)),
    ("base_movement", lambda: s.base_movement(crm, start="2024-01-01")),
    ("lead_conversion", lambda: s.lead_conversion(crm)),
    ("renew_index", lambda: s.renew_index(crm)),
    ("csi_nps", lambda: s.csi_nps(crm)),
    ("CRM.quality", lambda: crm.quality()),
]:
    ctx._data = ctx._arrow = None
    start = time.time()
    try:
        call()
        status = "ok"
    except Exception as exc:
        status = f"FAILS {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    if ctx._data is not None or ctx._arrow is not None:
        status = "COLLECTS" if status == "ok" else status + " (after collecting)"
    print(f"{name:28s} {status}  ({time.time() - start:.1f} s)", flush=True)
session.stop()
