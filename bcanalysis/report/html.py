"""A report page: an executed notebook exported to standalone HTML (nbconvert's lab template, figures embedded,
nothing loaded from elsewhere, so a page mailed as one file opens offline), with a button that hides the code.
"""

from __future__ import annotations

from pathlib import Path

CODE_MODES = ("show", "folded", "none")


class HTMLExportError(ValueError):
    """A bad export option (the message names it)."""


_CODE_TOGGLE = """
<style>
  body.bc-code-hidden .jp-CodeCell .jp-Cell-inputWrapper { display: none; }
  #bc-code-toggle { position: fixed; top: 8px; right: 12px; z-index: 10; font: 13px sans-serif;
                    padding: 3px 10px; border: 1px solid #999; border-radius: 4px; background: #fff; cursor: pointer; }
</style>
<button id="bc-code-toggle" type="button"
  onclick="var h=document.body.classList.toggle('bc-code-hidden');this.textContent=h?'show code':'hide code';">
  __LABEL__</button>
"""


#: The lab template without what it fetches from CDNs (require.js, MathJax, mermaid): the reports use none of them,
#: and a report must open with no network and send no request.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def to_html(ipynb: Path, dst: Path, *, code: str = "show", title: str | None = None) -> Path:
    """Export an executed notebook to standalone HTML (lab template, images embedded, no script from elsewhere:
    it opens from a file with no network and sends no request).

    `code`: "show" (code visible, with a hide/show button), "folded" (hidden until the button is pressed), or
    "none" (code cells left out of the file). `title`: the page's title (else the notebook's name).
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    if code not in CODE_MODES:
        raise HTMLExportError(f"code must be one of {', '.join(CODE_MODES)}, got {code!r}")
    exporter = HTMLExporter(
        template_name="lab",
        embed_images=True,
        exclude_input=code == "none",
        extra_loaders=[jinja2.DictLoader({"bcanalysis_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="bcanalysis_offline.html.j2",
    )
    exporter.exclude_input_prompt = code == "none"
    nb = nbformat.read(str(ipynb), as_version=4)
    if title:
        nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    if code != "none":
        toggle = _CODE_TOGGLE.replace("__LABEL__", "show code" if code == "folded" else "hide code")
        body = _after_body_tag(body, toggle, hidden=code == "folded")
    dst.write_text(body, encoding="utf-8")
    return dst


def _after_body_tag(page: str, snippet: str, *, hidden: bool) -> str:
    start = page.find("<body")
    end = page.find(">", start)
    if start < 0 or end < 0:
        return snippet + page
    tag = page[start : end + 1]
    if hidden and 'class="' in tag:
        tag = tag.replace('class="', 'class="bc-code-hidden ', 1)
    elif hidden:
        tag = tag[:-1] + ' class="bc-code-hidden">'
    return page[:start] + tag + snippet + page[end + 1 :]
