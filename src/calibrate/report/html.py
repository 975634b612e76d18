"""Render an executed notebook to HTML: no code, no prompts, images embedded, nothing fetched from the network."""

from __future__ import annotations

import re
from pathlib import Path

from calibrate.report.webfont import embed_cjk_font

#: Printing a report from a browser gives clean A4 pages: margins, no code or prompts, no figure or table row
#: cut across two pages, table headers repeated on every page, headings kept with what follows them.
PRINT_CSS = """<style id="calibrate-print">
@media print {
  @page { size: A4; margin: 15mm 12mm 15mm 12mm; }
  html, body { margin: 0 !important; padding: 0 !important; background: #fff !important; }
  main, .jp-Notebook { padding: 0 !important; margin: 0 !important; max-width: none !important; }
  .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .jp-Cell-inputWrapper, .jp-Collapser,
  .jp-CodeCell .jp-Cell-inputWrapper, .anchor-link { display: none !important; }
  body { font-size: 10pt; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  img, svg, figure, .jp-RenderedImage, .jp-RenderedSVG { break-inside: avoid; page-break-inside: avoid;
    max-width: 100% !important; height: auto; }
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-RenderedHTML { overflow: visible !important; }
  table { break-inside: auto; page-break-inside: auto; font-size: 8pt; max-width: 100% !important; }
  table:has(thead th:nth-child(9)) { font-size: 7pt; width: 100% !important; }
  th, td { padding: 2px 4px !important; }
  tbody td:first-child, tbody th { white-space: nowrap; }
  thead { display: table-header-group; }
  tfoot { display: table-footer-group; }
  tr, th, td { break-inside: avoid; page-break-inside: avoid; }
  p:has(+ .jp-Cell), .jp-MarkdownOutput:last-child { break-after: avoid; }
  footer { break-inside: avoid; }
}
</style>
"""


def render_html(notebook: Path, html_path: Path, *, title: str, stamp: str | None = None, font: bool = True) -> Path:
    """HTML without code cells or prompts, images embedded, no script or style fetched from the network.

    ``font=False`` leaves the CJK font out, for a run that embeds one subset in all its pages
    (:func:`calibrate.report.webfont.embed_cjk_font_in_pages`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    for k, cell in enumerate(nb.cells):  # papermill gives cells random ids: make the HTML reproducible
        cell["id"] = f"cell-{k}"
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _offline(body)
    body = _stable_styler_ids(body)
    body = body.replace("</head>", PRINT_CSS + "</head>", 1)
    if stamp:
        body = body.replace(
            "</body>", f'<footer style="color:#777;font-size:12px;margin:2em 4em">{stamp}</footer>\n</body>', 1
        )
    if font:
        body = embed_cjk_font(body)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _stable_styler_ids(html: str) -> str:
    """pandas Styler tables carry a random id (``T_8f3a1``): number them in order of appearance instead."""
    names: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        return names.setdefault(match.group(0), f"T_t{len(names)}")

    return re.sub(r"\bT_[0-9a-f]{5}(?=[_\"\s ])", rename, html)


def _offline(html: str) -> str:
    """Drop scripts loaded from the network (MathJax, require.js): the reports hold no math or widgets."""
    html = re.sub(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>', "", html)
    html = re.sub(r'<link[^>]+href="https?://[^"]+"[^>]*>', "", html)
    return html
