#!/usr/bin/env python3
"""Writes one browser's manifest.json from the single source manifest.json.

    tools/manifest.py chrome|firefox SOURCE DEST

The source carries both browsers' keys; each package gets only what its browser reads:
Chromium runs `background.service_worker` and has no `browser_specific_settings`; Firefox runs
`background.scripts` as an event page and needs `browser_specific_settings.gecko`. The side panel
is Chromium's `side_panel` with the `sidePanel` permission, and Firefox's `sidebar_action`.
`webRequest` is Chromium's only: its background reads a page's CSP headers to choose the
content build (docs/architecture.md); Firefox always runs the real wasm. The content wasm is a
web-accessible resource at a per-session URL (`use_dynamic_url`) in Chromium; Firefox's
extension URLs hold a random per-install id already, and it does not read that key."""
import json, sys

browser, source, dest = sys.argv[1:4]
with open(source, encoding="utf-8") as f:
    manifest = json.load(f)
background = manifest["background"]
if browser == "chrome":
    manifest["background"] = {"service_worker": background["service_worker"]}
    manifest.pop("browser_specific_settings", None)
    manifest.pop("sidebar_action", None)
elif browser == "firefox":
    manifest["background"] = {"scripts": background["scripts"]}
    manifest.pop("side_panel", None)
    manifest["permissions"] = [p for p in manifest["permissions"] if p not in ("sidePanel", "webRequest")]
    for resources in manifest.get("web_accessible_resources", []):
        resources.pop("use_dynamic_url", None)
else:
    sys.exit(f"unknown browser {browser!r}: chrome or firefox")
with open(dest, "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=2, ensure_ascii=False)
    f.write("\n")
