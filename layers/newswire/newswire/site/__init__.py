"""The static news site: HTML pages, feeds and sitemaps rendered from the index and the stored
Markdown, written to the same store at its root (next to content/), incrementally.

- build: `build_site` (incremental, after an ingest) and `build_full_site` (every page);
- plan, paths, pages, feeds, markup: the pure parts (what to render, where, and how);
- hook: the build at the end of the Lambda's inline run; commands: `newswire site`/`serve`;
- serve: the local preview server.

Submodules are imported where they are needed: the Lambda loads Jinja2 and markdown-it only
when a run changed something and the site is configured.
"""
