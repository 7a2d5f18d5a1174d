PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; background: #f7f9fb; }
  h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
  p.summary { color: #52606d; margin-top: 0; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  th, td { padding: 0.4rem 0.8rem; text-align: right; border-bottom: 1px solid #e4e7eb; }
  th { background: #334e68; color: #fff; font-weight: 600; }
  th:first-child, td:first-child { text-align: left; }
  td.bar { width: 12rem; }
  td.bar span { display: block; height: 0.7rem; background: #2bb0ed; border-radius: 2px; }
  tr.peak td { font-weight: 600; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="summary">{{ rows|length }} days from station {{ station }} &middot;
  mean {{ "%.1f"|format(mean) }} &deg;C &middot; peak on {{ peak_day }}</p>
<table>
  <thead><tr><th>Day</th><th>Min &deg;C</th><th>Max &deg;C</th><th>Rain mm</th><th>Max temperature</th></tr></thead>
  <tbody>
  {% for r in rows %}
    <tr{% if r.day == peak_day %} class="peak"{% endif %}>
      <td>{{ r.day }}</td><td>{{ "%.1f"|format(r.t_min) }}</td><td>{{ "%.1f"|format(r.t_max) }}</td>
      <td>{{ "%.1f"|format(r.rain_mm) }}</td>
      <td class="bar"><span style="width: {{ r.bar_pct }}%"></span></td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</body>
</html>
"""


# `fused` needs no import here: the runtime provides the name to the module, as Fused does.
@fused.udf
def udf(
    title: str = "Weather report",
    days: int = 7,
    station: str = "PARIS-01",
    seed: int = 42,
):
    """A small styled HTML page with a table of made-up daily weather readings.

    The readings come from a seeded random generator, so the same arguments give the same page.
    """
    import jinja2
    import numpy as np
    import pandas as pd

    if not 1 <= days <= 366:
        raise ValueError(f"days must be between 1 and 366, got {days}")

    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-06-01", periods=days, freq="D")
    t_min = 12 + 3 * rng.standard_normal(days)
    t_max = t_min + 6 + 4 * rng.random(days)
    rain = np.where(rng.random(days) < 0.35, rng.gamma(2.0, 2.5, days), 0.0)
    df = pd.DataFrame(
        {
            "day": dates.strftime("%a %d %b"),
            "t_min": t_min,
            "t_max": t_max,
            "rain_mm": rain,
        }
    )
    df["bar_pct"] = (100 * df["t_max"] / df["t_max"].max()).round(1)

    env = jinja2.Environment(autoescape=True)
    return env.from_string(PAGE).render(
        title=title,
        station=station,
        rows=df.to_dict("records"),
        mean=float(((df["t_min"] + df["t_max"]) / 2).mean()),
        peak_day=df.loc[df["t_max"].idxmax(), "day"],
    )
