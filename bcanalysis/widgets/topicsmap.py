"""The pyLDAvis-style explorer for colour topics: click a bubble, rank its colours by relevance(λ), find a colour.

    from bcanalysis import prepare, widgets
    the_map = prepare.intertopic_map(model, albums)
    widgets.explore_topics_map(the_map, live=live)     # live: ipywidgets; live=False: HTML + inline script

Three parts in one `[data-bcanalysis-widget="topics-map"]` element: the intertopic map as SVG bubbles (area = share,
numbered where no other number is: `plots_labels.place_labels`, as the figure places them), `data-bcanalysis="map"`;
the selected topic's colours as swatches ranked by relevance(λ) with a λ slider, `data-bcanalysis="relevance"` and
`"lambda"`; a colour search (a hex word, 3 or 6 digits, or a click on a swatch), `data-bcanalysis="colour"`, which
rings the topics that use the colour: those holding it among their relevance terms with p(colour | topic) ≥ `uses_at`,
each ring as wide as p. Offline the data rides in a `<script type="application/json">` (no `<`, `>` or `&` raw) and
a small inline script draws the rest with DOM calls (no innerHTML): no CDN, no request. Live, the same arithmetic
runs in Python (`TopicsMap.ranked`, `.uses`) behind ipywidgets controls.
"""

from __future__ import annotations

import html
import math
import re
import uuid
from typing import Any

import numpy as np

from bcanalysis.colorspace import to_words
from bcanalysis.plots_labels import place_labels
from bcanalysis.prepare import IntertopicMap
from bcanalysis.widgets.offline import json_for_script

#: A topic uses a colour when p(colour | topic) is at least this (1%), the colour being among its relevance terms.
USES_AT = 0.01
#: Swatches shown for the selected topic.
N_SWATCHES = 15
WIDTH, HEIGHT = 460, 380  # the map's SVG viewBox
FONT_PX = 12  # the topic numbers' font size

_HEX = re.compile(r"^#?([0-9a-f]{3}|[0-9a-f]{6})$")


def parse_colour(word: str) -> tuple[int, int, int]:
    """A hex word ('c63', '#cc6633') as RGB; a 3-digit word doubles each digit, as CSS does (12-bit colours are
    exactly those: 0x00, 0x11, … 0xff a channel)."""
    m = _HEX.match(str(word).strip().lower())
    if not m:
        raise ValueError(f"not a hex colour (3 or 6 hex digits): {word!r}")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


class TopicsMap:
    """The explorer's data and arithmetic, drawn from a prepared map: bubbles in SVG units, each topic's relevance
    terms (hex word, p, lift), the ranking at λ and the topics using a colour. `_repr_html_` is the offline widget."""

    def __init__(self, the_map: IntertopicMap, *, topic: int | None = None, lam: float = 0.6, uses_at: float = USES_AT):
        if not len(the_map.term_topic):
            raise ValueError("this intertopic map has no relevance terms (made from a table without a model)")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lambda must be in 0..1, got {lam!r}")
        self.map = the_map
        self.topics = [int(k) for k in the_map.topics]
        self.topic = self.topics[0] if topic is None else int(topic)
        if self.topic not in self.topics:
            raise ValueError(f"topic must be one of {self.topics}, got {topic!r}")
        self.lam = float(lam)
        self.uses_at = float(uses_at)
        self.words = to_words(the_map.term_colors)
        self.bubbles = self._layout()

    # --- arithmetic (the inline script does the same) ----------------------------------------------------------

    def ranked(self, k: int, lam: float, n: int = N_SWATCHES) -> list[str]:
        """Topic `k`'s `n` most relevant colours at λ = `lam`, as hex words, most relevant first (ties: term order)."""
        return [self.words[i] for i in self.map.top_terms(k, lam, n)]

    def nearest(self, word: str) -> str:
        """The term colour nearest to hex word `word` (itself when the map has it)."""
        rgb = np.asarray(parse_colour(word), dtype=np.int64)
        d = ((self.map.term_colors.astype(np.int64) - rgb) ** 2).sum(axis=1)
        return self.words[int(np.argmin(d))]

    def uses(self, word: str) -> dict[int, float]:
        """The topics using colour `word` (nearest term colour): topic → p(colour | topic) ≥ `uses_at`."""
        target = self.nearest(word)
        return {
            int(k): float(p)
            for k, w, p in zip(self.map.term_topic, self.words, self.map.term_p, strict=True)
            if w == target and p >= self.uses_at
        }

    # --- the map as SVG ----------------------------------------------------------------------------------------

    def _layout(self) -> list[dict[str, Any]]:
        """Each bubble's centre and radius in SVG units (aspect kept, 12% margin as the figure, centred), its number's
        place (`place_labels`, largest bubbles first)."""
        m = self.map
        x, y, r = m.x, m.y, m.radius
        span = max(np.ptp(x), np.ptp(y), 1e-9)
        pad = 0.12 * span
        scale = min(WIDTH / (np.ptp(x) + 2 * pad), HEIGHT / (np.ptp(y) + 2 * pad))
        cx = WIDTH / 2 + (x - (x.min() + x.max()) / 2) * scale  # centred: a map flat along one axis sits mid-height
        cy = HEIGHT / 2 - (y - (y.min() + y.max()) / 2) * scale
        cr = np.maximum(r * scale, 3.0)
        sizes = [(0.62 * FONT_PX * len(str(k)) + 4, FONT_PX + 4) for k in self.topics]
        order = [int(i) for i in np.argsort(-m.prevalence, kind="stable")]
        spots = place_labels(list(zip(cx, cy, strict=True)), list(cr), sizes, order, (0, 0, WIDTH, HEIGHT))
        return [
            {
                "k": k,
                "x": round(float(cx[i]), 2),
                "y": round(float(cy[i]), 2),
                "r": round(float(cr[i]), 2),
                "lx": round(spots[i][0], 2),
                "ly": round(spots[i][1], 2),
            }
            for i, k in enumerate(self.topics)
        ]

    def _pie(self, i: int, b: dict[str, Any]) -> str:
        """Topic i's bubble: a pie of its top colours (as the figure's), grey edges."""
        weights = self.map.weights[i] / self.map.weights[i].sum()
        words = to_words(self.map.colors[i])
        if len(weights) == 1:
            return f'<circle cx="{b["x"]}" cy="{b["y"]}" r="{b["r"]}" fill="#{words[0]}" stroke="#999"/>'
        parts, start = [], -math.pi / 2
        for w, word in zip(weights, words, strict=True):
            end = start + 2 * math.pi * float(w)
            x0, y0 = b["x"] + b["r"] * math.cos(start), b["y"] + b["r"] * math.sin(start)
            x1, y1 = b["x"] + b["r"] * math.cos(end), b["y"] + b["r"] * math.sin(end)
            large = 1 if end - start > math.pi else 0
            parts.append(
                f'<path d="M{b["x"]},{b["y"]} L{x0:.2f},{y0:.2f} A{b["r"]},{b["r"]} 0 {large} 1 {x1:.2f},{y1:.2f} Z" '
                f'fill="#{word}" stroke="#999" stroke-width="0.5"/>'
            )
            start = end
        return "".join(parts)

    def svg(self, selected: int, uses: dict[int, float] | None = None) -> str:
        """The map: a pie per topic (area = share), `selected` ringed in black, the topics in `uses` ringed in
        orange as wide as p(colour | topic) (others faded), numbers placed apart, each bubble titled (escaped)."""
        uses = uses or {}
        top = max(uses.values(), default=1.0)
        out = [
            f'<svg data-bcanalysis="map" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            'role="group" aria-label="intertopic map" style="border:1px solid #ddd;background:#fff">'
        ]
        order = np.argsort(-self.map.prevalence, kind="stable")  # small bubbles on top
        for i in order:
            b, k = self.bubbles[i], self.topics[i]
            title = html.escape(f"topic {k}: {self.map.labels[i]} ({self.map.prevalence[i]:.1%})")
            p = uses.get(k)
            faded = ' opacity="0.3"' if uses and p is None else ""
            ring = 1.5 + 6 * p / top if p is not None else 0
            out.append(
                f'<g class="bc-bubble" data-topic="{k}" data-uses="{int(p is not None)}" tabindex="0" role="button" '
                f'style="cursor:pointer"{faded}><title>{title}</title>{self._pie(i, b)}'
                f'<circle class="bc-use" cx="{b["x"]}" cy="{b["y"]}" r="{b["r"] + 2}" fill="none" stroke="#f60" '
                f'stroke-width="{ring:.2f}"/>'
                f'<circle class="bc-ring" cx="{b["x"]}" cy="{b["y"]}" r="{b["r"] + 1}" fill="none" stroke="#000" '
                f'stroke-width="{2.5 if k == selected else 0}"/></g>'
            )
        for b in self.bubbles:  # numbers over every bubble, with a line to a bubble labelled beside it
            if (b["lx"], b["ly"]) != (b["x"], b["y"]):
                out.append(
                    f'<line x1="{b["x"]}" y1="{b["y"]}" x2="{b["lx"]}" y2="{b["ly"]}" stroke="#555" '
                    'stroke-width="0.6" pointer-events="none"/>'
                )
            weight = "bold" if b["k"] == selected else "normal"
            out.append(
                f'<text x="{b["lx"]}" y="{b["ly"]}" text-anchor="middle" dominant-baseline="central" '
                f'font-size="{FONT_PX}" font-family="sans-serif" font-weight="{weight}" stroke="#fff" '
                f'stroke-width="3" paint-order="stroke" style="cursor:pointer" data-label="{b["k"]}">{b["k"]}</text>'
            )
        out.append("</svg>")
        return "".join(out)

    def data(self) -> dict[str, Any]:
        """What the inline script needs: topics (number, label, share), each topic's terms (word, p, lift) and the
        rule's threshold."""
        terms: dict[str, list] = {str(k): [] for k in self.topics}
        for k, w, p, lift in zip(self.map.term_topic, self.words, self.map.term_p, self.map.term_lift, strict=True):
            terms[str(int(k))].append([w, float(p), float(lift)])  # full precision: the same ranking as numpy
        return {
            "topics": [
                {"k": k, "label": lab, "share": round(float(s), 6)}
                for k, lab, s in zip(self.topics, self.map.labels, self.map.prevalence, strict=True)
            ],
            "terms": terms,
            "usesAt": self.uses_at,
            "n": N_SWATCHES,
        }

    def _repr_html_(self) -> str:
        uid = "bc-" + uuid.uuid4().hex[:12]
        i = self.topics.index(self.topic)
        caption = html.escape(f"topic {self.topic}: {self.map.labels[i]}")
        return (
            f"{_STYLE}"
            f'<div class="bc-tmap" id="{uid}" data-bcanalysis-widget="topics-map" data-bcanalysis-topic="{self.topic}"'
            f' data-bcanalysis-lambda="{self.lam}">'
            f'<div class="bc-tmap-left">{self.svg(self.topic)}</div>'
            '<div class="bc-tmap-right">'
            f'<div class="bc-caption" data-bcanalysis="caption">{caption}</div>'
            f'<label for="{uid}-lambda">relevance λ</label> <input type="range" id="{uid}-lambda" '
            f'data-bcanalysis="lambda" min="0" max="1" step="0.01" value="{self.lam}"/> '
            f'<output data-bcanalysis-readout="lambda">{self.lam:.2f}</output>'
            '<ol class="bc-swatches" data-bcanalysis="relevance"></ol>'
            f'<label for="{uid}-colour">colour</label> <input type="text" id="{uid}-colour" data-bcanalysis="colour" '
            'placeholder="c63 or cc6633" size="10" autocomplete="off"/> '
            '<div data-bcanalysis="uses" class="bc-uses"></div>'
            "</div>"
            f'<script type="application/json">{json_for_script(self.data())}</script>'
            f"<script>{_SCRIPT.replace('__ID__', uid)}</script></div>"
        )


_STYLE = (
    "<style>.bc-tmap{display:flex;gap:1em;flex-wrap:wrap;font:13px sans-serif;margin:.4em 0}"
    ".bc-tmap .bc-swatches{list-style:none;padding:0;margin:.4em 0;columns:2}"
    ".bc-tmap .bc-swatches li{margin:1px 0;white-space:nowrap}.bc-tmap button.bc-sw{width:3.2em;height:1.3em;"
    "border:1px solid #999;cursor:pointer;vertical-align:middle;margin-right:.4em}"
    ".bc-tmap .bc-uses{margin-top:.3em;max-width:24em}.bc-tmap input[type=range]{width:12em;vertical-align:middle}"
    "</style>"
)

_SCRIPT = """(function () {
  var root = document.getElementById("__ID__");
  if (!root) return;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var svg = root.querySelector('[data-bcanalysis="map"]');
  var list = root.querySelector('[data-bcanalysis="relevance"]');
  var slider = root.querySelector('[data-bcanalysis="lambda"]');
  var readout = root.querySelector('[data-bcanalysis-readout="lambda"]');
  var search = root.querySelector('[data-bcanalysis="colour"]');
  var usesOut = root.querySelector('[data-bcanalysis="uses"]');
  var caption = root.querySelector('[data-bcanalysis="caption"]');
  var labels = {};
  data.topics.forEach(function (t) { labels[t.k] = t.label; });
  var state = {topic: +root.getAttribute("data-bcanalysis-topic"), lam: +slider.value};
  function ranked(k, lam) {
    var terms = data.terms[String(k)].map(function (t, i) {
      return {w: t[0], p: t[1], rel: lam * Math.log(t[1]) + (1 - lam) * Math.log(t[2]), i: i};
    });
    terms.sort(function (a, b) { return (b.rel - a.rel) || (a.i - b.i); });
    return terms.slice(0, data.n);
  }
  function parse(word) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/.exec(word.trim().toLowerCase());
    if (!m) return null;
    var d = m[1];
    if (d.length === 3) d = d[0] + d[0] + d[1] + d[1] + d[2] + d[2];
    return [parseInt(d.slice(0, 2), 16), parseInt(d.slice(2, 4), 16), parseInt(d.slice(4, 6), 16)];
  }
  function nearest(rgb) {
    var best = null, dist = Infinity;
    Object.keys(data.terms).forEach(function (k) {
      data.terms[k].forEach(function (t) {
        var c = parse(t[0]), d = 0;
        for (var j = 0; j < 3; j++) d += (c[j] - rgb[j]) * (c[j] - rgb[j]);
        if (d < dist) { dist = d; best = t[0]; }
      });
    });
    return best;
  }
  function showTopic() {
    var k = state.topic;
    root.setAttribute("data-bcanalysis-topic", k);
    root.setAttribute("data-bcanalysis-lambda", state.lam);
    caption.textContent = "topic " + k + ": " + labels[k];
    readout.textContent = state.lam.toFixed(2);
    svg.querySelectorAll(".bc-bubble").forEach(function (g) {
      g.querySelector(".bc-ring").setAttribute("stroke-width", +g.getAttribute("data-topic") === k ? 2.5 : 0);
    });
    svg.querySelectorAll("text[data-label]").forEach(function (t) {
      t.setAttribute("font-weight", +t.getAttribute("data-label") === k ? "bold" : "normal");
    });
    while (list.firstChild) list.removeChild(list.firstChild);
    ranked(k, state.lam).forEach(function (t) {
      var li = document.createElement("li"), b = document.createElement("button");
      b.type = "button"; b.className = "bc-sw"; b.style.background = "#" + t.w;
      b.setAttribute("data-colour", t.w); b.title = "#" + t.w + " · p " + t.p.toPrecision(2);
      b.addEventListener("click", function () { search.value = t.w; showColour(); });
      li.appendChild(b);
      li.appendChild(document.createTextNode(t.w + "  " + (100 * t.p).toFixed(1) + "%"));
      list.appendChild(li);
    });
  }
  function showColour() {
    var rgb = parse(search.value), word = rgb && nearest(rgb), uses = {}, top = 0;
    if (word) {
      Object.keys(data.terms).forEach(function (k) {
        data.terms[k].forEach(function (t) {
          if (t[0] === word && t[1] >= data.usesAt) { uses[k] = t[1]; top = Math.max(top, t[1]); }
        });
      });
    }
    var ks = Object.keys(uses);
    svg.querySelectorAll(".bc-bubble").forEach(function (g) {
      var k = g.getAttribute("data-topic"), p = uses[k];
      g.setAttribute("data-uses", p === undefined ? "0" : "1");
      g.querySelector(".bc-use").setAttribute("stroke-width", p === undefined ? 0 : 1.5 + 6 * p / top);
      if (word && p === undefined) g.setAttribute("opacity", "0.3"); else g.removeAttribute("opacity");
    });
    root.setAttribute("data-bcanalysis-colour", word || "");
    if (!search.value.trim()) { usesOut.textContent = ""; return; }
    usesOut.textContent = !word ? "not a hex colour: type 3 or 6 hex digits"
      : "#" + word + ": " + (ks.length ? "used by topic " + ks.map(function (k) {
          return k + " (" + (100 * uses[k]).toFixed(1) + "%)"; }).join(", ")
        : "no topic wears it at " + (100 * data.usesAt) + "% or more");
  }
  svg.querySelectorAll(".bc-bubble, text[data-label]").forEach(function (g) {
    // a bubble, or its number (numbers never overlap: a bubble under another stays reachable by its number)
    var k = +(g.getAttribute("data-topic") || g.getAttribute("data-label"));
    function pick() { state.topic = k; showTopic(); }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); }
    });
  });
  slider.addEventListener("input", function () { state.lam = +slider.value; showTopic(); });
  search.addEventListener("input", showColour);
  showTopic();
})();"""


def _live(explorer: TopicsMap):
    """ipywidgets: a topic dropdown, a λ slider, a colour box and the ranked swatches as buttons (a click searches
    the colour), around the map drawn as SVG (re-drawn on each change: milliseconds)."""
    from ipywidgets import HTML, Button, Dropdown, FloatSlider, HBox, Layout, Text, VBox

    the_map = explorer.map
    topic = Dropdown(
        options=[(f"{k}: {lab}", k) for k, lab in zip(explorer.topics, the_map.labels, strict=True)],
        value=explorer.topic,
        description="topic",
    )
    lam = FloatSlider(value=explorer.lam, min=0.0, max=1.0, step=0.01, description="relevance λ")
    colour = Text(value="", placeholder="c63 or cc6633", description="colour")
    picture, found = HTML(), HTML()
    swatches = VBox()
    box = VBox([HBox([topic, lam, colour]), HBox([picture, VBox([swatches, found])])])

    def uses() -> dict[int, float]:
        try:
            return explorer.uses(colour.value) if colour.value.strip() else {}
        except ValueError:
            return {}

    def pick(word: str) -> None:
        colour.value = word

    def redraw(*_: Any) -> None:
        used = uses()
        picture.value = explorer.svg(topic.value, used)
        buttons = []
        for word in explorer.ranked(topic.value, lam.value):
            b = Button(description=word, layout=Layout(width="9em"), tooltip=f"#{word}")
            b.style.button_color = f"#{word}"
            b.on_click(lambda _b, w=word: pick(w))
            buttons.append(b)
        swatches.children = buttons
        found.value = (
            html.escape(", ".join(f"topic {k} ({p:.1%})" for k, p in used.items()) or "no topic uses it")
            if colour.value.strip()
            else ""
        )
        box.uses = used

    for control in (topic, lam, colour):
        control.observe(redraw, names="value")
    box.topic, box.lam, box.colour, box.swatches, box.explorer = topic, lam, colour, swatches, explorer
    redraw()
    return box


def explore_topics_map(
    the_map: IntertopicMap,
    *,
    topic: int | None = None,
    lam: float = 0.6,
    uses_at: float = USES_AT,
    live: bool = True,
):
    """pyLDAvis for colour topics, from a prepared map (`prepare.intertopic_map(model, albums)`): pick a topic (a
    bubble), see its colours ranked by relevance(λ) (λ = 1: by p(colour | topic); 0: by lift), search a colour
    (hex word or swatch) to ring the topics using it (p ≥ `uses_at`). Live: an ipywidgets box (`.topic`, `.lam`,
    `.colour`, `.swatches`, `.uses`); `live=False`: a `TopicsMap` whose HTML works in a report with no kernel."""
    explorer = TopicsMap(the_map, topic=topic, lam=lam, uses_at=uses_at)
    return _live(explorer) if live else explorer
