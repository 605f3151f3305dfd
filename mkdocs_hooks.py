"""MkDocs hooks for glassnet's site (``make docs``).

The Markdown pages in docs/ link to source files (``../glassnet/backend.py``) so that they read
well in a checkout. Those files are not part of the site: here such a link becomes its text
(usually the file name in code font), so that ``mkdocs build --strict`` checks every link that
stays a link.

The lab's results become part of the site at build time (``glassnet.lab.site``): a marker such as
``<!-- lab: xor -->`` on a lecture page becomes that experiment's measured claims and figures,
read from ``docs/lab/xor/result.json``, and every ``docs/lab/NAME/report.md`` gets a place under
"Lab" in the navigation. An experiment that has not been run yet gets a line saying how to run it.
"""

from __future__ import annotations

import os
import re

_OUTSIDE = re.compile(r"\[([^\]]+)\]\((\.\./[^)\s]+)\)")
_LAB_NAV = "Lab"
_GUIDE_NAV = "Guide"


def _dirs(config):
    docs = config["docs_dir"]
    return os.path.join(docs, "lab"), os.path.join(docs, "lectures")


def _paths(nav):
    """Every page path named in a navigation tree."""
    for item in nav if isinstance(nav, list) else [nav]:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for value in item.values():
                yield from _paths(value)


def _extend(nav, title, pages):
    """Append ``pages`` (``[{title: path}]`` or paths) to the section ``title`` of ``nav``."""
    for entry in nav:
        if isinstance(entry, dict) and title in entry:
            section = entry[title]
            entry[title] = ([section] if isinstance(section, str) else list(section)) + pages


def on_config(config):
    """Complete the navigation: every lab report (docs/lab/NAME/report.md) under "Lab", and any
    guide page (docs/*.md) that mkdocs.yml does not list under "Guide"."""
    from glassnet.lab.site import report_pages

    nav = config["nav"]
    if not nav:
        return config
    lab_dir, _ = _dirs(config)
    listed = set(_paths(nav))
    _extend(nav, _LAB_NAV, [{name: path} for name, path in report_pages(lab_dir)
                            if path not in listed])
    guides = sorted(f for f in os.listdir(config["docs_dir"])
                    if f.endswith(".md") and f not in listed)
    _extend(nav, _GUIDE_NAV, guides)
    return config


def on_page_markdown(markdown, page, config, files):
    if "<!--" in markdown and "lab:" in markdown:
        from glassnet.lab.site import expand

        lab_dir, lectures_dir = _dirs(config)
        # a link only to files the site has (a run may be writing docs/lab/ as the site builds)
        markdown = expand(markdown, page.file.src_uri, lab_dir, lectures_dir,
                          exists=lambda path: files.get_file_from_path(path) is not None)

    depth = page.file.src_uri.count("/")
    up = "../" * (depth + 1)

    def unlink(m):
        target = m.group(2)
        if target.startswith(up) and not target[len(up):].startswith("docs/"):
            return m.group(1)
        return m.group(0)

    return _OUTSIDE.sub(unlink, markdown)
