"""Chart UDFs of the public catalogue run in a real worker: altair is in the default set.

Fused's image lacks altair, yet seven public/ UDFs build their charts with it and return
`chart.to_html(...)`; requirements.in says why the runtime has it anyway.
"""

from __future__ import annotations

from conftest import WorkerProcess, udf_request
from fused._package_lists import RUNTIME_DIR, read_fused_image, read_requirement_names

# The shape of the catalogue's chart UDFs: a table, an altair line chart, its HTML with SVG.
ALTAIR_CHART = """
@fused.udf
def udf(points: int = 6):
    import altair as alt
    import pandas as pd

    alt.data_transformers.enable("default")
    df = pd.DataFrame({"month": list(range(1, points + 1)),
                       "mean_ndvi": [0.1 * i for i in range(points)]})
    chart = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("month:O", title="Month"),
        y=alt.Y("mean_ndvi:Q", title="NDVI", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("mean_ndvi:Q", format=".3f")],
    ).properties(title="NDVI by month")
    return chart.to_html(embed_options={"renderer": "svg"})
"""


def test_altair_is_pinned_beyond_fused_image() -> None:
    assert "altair" in read_requirement_names(RUNTIME_DIR / "requirements.txt")
    assert "altair" not in read_fused_image()


def test_an_altair_chart_udf_returns_its_html_from_a_worker() -> None:
    worker = WorkerProcess()
    try:
        ready, _ = worker.receive()
        assert ready["op"] == "ready"
        header, payload = worker.request(
            {"op": "run", "id": 1, "udf": udf_request(ALTAIR_CHART), "params": {"points": 4},
             "tile": None, "formats": ["html"], "defaults": {}}
        )
    finally:
        worker.close()
    assert header["ok"] is True, header.get("error")
    html = payload.decode("utf-8")
    assert "vegaEmbed" in html and '"renderer": "svg"' in html
    assert "NDVI by month" in html and '"month": 4' in html  # the table's last row
