"""MkDocs hooks for glassnet's site (``make docs``).

The Markdown pages in docs/ link to source files (``../glassnet/backend.py``) so that they read
well in a checkout. Those files are not part of the site: here such a link becomes its text
(usually the file name in code font), so that ``mkdocs build --strict`` checks every link that
stays a link.
"""

from __future__ import annotations

import re

_OUTSIDE = re.compile(r"\[([^\]]+)\]\((\.\./[^)\s]+)\)")


def on_page_markdown(markdown, page, config, files):
    depth = page.file.src_uri.count("/")
    up = "../" * (depth + 1)

    def unlink(m):
        target = m.group(2)
        if target.startswith(up) and not target[len(up):].startswith("docs/"):
            return m.group(1)
        return m.group(0)

    return _OUTSIDE.sub(unlink, markdown)
