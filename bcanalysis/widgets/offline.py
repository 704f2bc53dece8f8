"""Explorers that work in an HTML report with no kernel and no network: every view rendered when the notebook runs,
plain HTML controls (a range slider, a select) switched by a small inline script.

`OfflineExplorer` is what `explore_*(..., live=False)` returns. In JupyterLab and Voilà the live ipywidgets stay
as they are; a papermill run has no browser to call back into, so it keeps every view instead. The HTML carries
stable hooks: the container `[data-bcanalysis-widget]`, each control `[data-bcanalysis="<name>"]`, the image
`img[data-bcanalysis="view"]` and its caption `[data-bcanalysis="caption"]`. The views ride in a
`<script type="application/json">` block; the script swaps image, caption and extra HTML (escaped when drawn:
scraped text never reaches it raw). No CDN, no external file, no request.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bcanalysis.widgets.views import View


@dataclass
class Control:
    """One control of an offline explorer: a range slider or a select over `values`, shown as `labels`."""

    name: str  # the hook: data-bcanalysis="<name>"
    label: str
    values: list[Any]
    value: Any
    kind: str = "range"  # "range" or "select"
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("range", "select"):
            raise ValueError(f"kind must be 'range' or 'select', got {self.kind!r}")
        if self.value not in self.values:
            raise ValueError(f"{self.name}: value {self.value!r} is not one of {self.values}")
        self.labels = [str(v) for v in self.values] if self.labels is None else [str(x) for x in self.labels]

    @property
    def step(self) -> Any:
        """The slider's step when the values are evenly spaced integers (the slider then holds the value itself),
        else None (the slider holds a position in `values`)."""
        v = self.values
        if len(v) > 1 and all(isinstance(x, int) for x in v):
            steps = {b - a for a, b in zip(v, v[1:], strict=False)}
            if len(steps) == 1 and next(iter(steps)) > 0:
                return next(iter(steps))
        return None if len(v) > 1 else 1

    def html(self, uid: str) -> str:
        """The control's HTML: a labelled <input type=range> with a readout, or a labelled <select>."""
        cid = f"{uid}-{self.name}"
        label = f'<label for="{cid}">{html.escape(self.label)}</label>'
        if self.kind == "select":
            options = "".join(
                f'<option value="{html.escape(str(v))}"{" selected" if v == self.value else ""}>'
                f"{html.escape(lab)}</option>"
                for v, lab in zip(self.values, self.labels or [], strict=True)
            )
            return f'{label} <select id="{cid}" data-bcanalysis="{self.name}">{options}</select>'
        step = self.step
        if step is not None:
            lo, hi, val = self.values[0], self.values[-1], self.value
        else:
            step, lo, hi, val = 1, 0, len(self.values) - 1, self.values.index(self.value)
        readout = html.escape(self.labels[self.values.index(self.value)]) if self.labels else ""
        return (
            f'{label} <input type="range" id="{cid}" data-bcanalysis="{self.name}" min="{lo}" max="{hi}" '
            f'step="{step}" value="{val}" aria-valuetext="{readout}"/> '
            f'<output for="{cid}" data-bcanalysis-readout="{self.name}">{readout}</output>'
        )

    def spec(self) -> dict[str, Any]:
        """What the script needs: kind, values (as strings, the keys of the views), labels, index mode."""
        return {
            "name": self.name,
            "kind": self.kind,
            "values": [str(v) for v in self.values],
            "labels": self.labels,
            "index": self.kind == "range" and self.step is None,
        }


_SCRIPT = """(function () {
  var root = document.getElementById("__ID__");
  if (!root) return;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var img = root.querySelector('img[data-bcanalysis="view"]');
  var caption = root.querySelector('[data-bcanalysis="caption"]');
  var extra = root.querySelector('[data-bcanalysis="extra"]');
  var els = data.controls.map(function (c) { return root.querySelector('[data-bcanalysis="' + c.name + '"]'); });
  function get(i) { var c = data.controls[i]; return c.index ? c.values[+els[i].value] : String(els[i].value); }
  function put(i, v) { var c = data.controls[i]; els[i].value = c.index ? c.values.indexOf(v) : v; }
  function key(vals) { return vals.join("|"); }
  function nearest(vals, moved) {
    // no view for these values (a depth without this topic count): the nearest value along a slider, trying the
    // sliders not just moved first
    var order = data.controls.map(function (_, i) { return i; }).filter(function (i) { return i !== moved; });
    order.push(moved);
    for (var j = 0; j < order.length; j++) {
      var i = order[j], c = data.controls[i];
      if (c.kind !== "range") continue;
      var best = null, dist = Infinity;
      c.values.forEach(function (v) {
        var trial = vals.slice(); trial[i] = v;
        var d = Math.abs(parseFloat(v) - parseFloat(vals[i]));
        if (key(trial) in data.views && d < dist) { best = v; dist = d; }
      });
      if (best !== null) { vals[i] = best; put(i, best); return vals; }
    }
    return null;
  }
  function show(moved) {
    var vals = data.controls.map(function (_, i) { return get(i); });
    if (!(key(vals) in data.views)) vals = nearest(vals, moved);
    if (!vals) return;
    var v = data.views[key(vals)];
    img.src = v.src; img.alt = v.caption; caption.textContent = v.caption; extra.innerHTML = v.extra;
    data.controls.forEach(function (c, i) {
      var out = root.querySelector('[data-bcanalysis-readout="' + c.name + '"]');
      var label = c.labels[c.values.indexOf(vals[i])];
      if (out) out.textContent = label;
      if (c.kind === "range") els[i].setAttribute("aria-valuetext", label);
    });
    root.setAttribute("data-bcanalysis-key", key(vals));
  }
  els.forEach(function (el, i) {
    el.addEventListener("input", function () { show(i); });
    el.addEventListener("change", function () { show(i); });
  });
})();"""

_STYLE = (
    "<style>.bc-offline{margin:.4em 0}.bc-offline .bc-controls{display:flex;gap:1.2em;align-items:center;"
    "flex-wrap:wrap;margin-bottom:.4em;font:13px sans-serif}.bc-offline input[type=range]{width:18em;"
    "vertical-align:middle}.bc-offline output{display:inline-block;min-width:2.5em;font-weight:bold}</style>"
)


def json_for_script(obj: Any) -> str:
    """JSON that cannot end its <script> element early (no raw <, > or & inside)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class OfflineExplorer:
    """Every view of an explorer, keyed by its controls' values, as one self-contained HTML block.

    `views` maps a tuple of values (one per control, in order) to the `View` shown for it; `.view` is the one shown
    first (the values the notebook asked for), `.views[key]` any other.
    """

    def __init__(self, name: str, controls: Sequence[Control], views: Mapping[tuple, View]):
        self.name = name
        self.controls = list(controls)
        self.views = dict(views)
        first = tuple(c.value for c in self.controls)
        if first not in self.views:
            raise ValueError(f"no view for the initial values {first}")
        self.view = self.views[first]

    def __repr__(self) -> str:
        return f"OfflineExplorer({self.name!r}, {len(self.views)} views; shown first: {self.view.caption!r})"

    @staticmethod
    def _key(values: Sequence[Any]) -> str:
        return "|".join(str(v) for v in values)

    def _repr_html_(self) -> str:
        uid = "bc-" + uuid.uuid4().hex[:12]
        views = {
            self._key(k): {"src": v.src, "caption": v.caption, "extra": v.html_extra} for k, v in self.views.items()
        }
        data = {"controls": [c.spec() for c in self.controls], "views": views}
        caption = html.escape(self.view.caption)
        controls = "".join(f"<span>{c.html(uid)}</span>" for c in self.controls)
        return (
            f'{_STYLE}<div class="bc-offline" id="{uid}" data-bcanalysis-widget="{html.escape(self.name)}" '
            f'data-bcanalysis-key="{html.escape(self._key(tuple(c.value for c in self.controls)))}">'
            f'<div class="bc-controls">{controls}</div>'
            f'<div class="bc-caption" data-bcanalysis="caption">{caption}</div>'
            f'<img data-bcanalysis="view" alt="{caption}" style="image-rendering: pixelated; max-width: 100%;" '
            f'src="{self.view.src}"/>'
            f'<div data-bcanalysis="extra">{self.view.html_extra}</div>'
            f'<script type="application/json">{json_for_script(data)}</script>'
            f"<script>{_SCRIPT.replace('__ID__', uid)}</script></div>"
        )
