"""Check the rater's page in a real headless browser and save a screenshot: Chromium loads
`GET /`, a clip is put in the file input (DevTools protocol `DOM.setFileInputFiles`), "Rate" is
clicked, the page must show the score, five level bars and the dimensions, then the chatter is
asked a question and must answer.

    vqa serve --model models/tiny &                 # or any running rater + chatter
    python benchmarks/serve_page_check.py --url http://127.0.0.1:8000 --clip videos/clip.mp4 \\
        --out docs/serve_page.png

Needs `chromium` on PATH (Debian: apt-get install -y chromium); talks CDP over aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp


async def cdp(url: str, clip: Path, out: Path, port: int) -> dict:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                targets = await (await http.get(f"http://127.0.0.1:{port}/json")).json()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=2**26) as ws:
            ids = itertools.count(1)

            async def call(method: str, **params):
                i = next(ids)
                await ws.send_json({"id": i, "method": method, "params": params})
                async for msg in ws:
                    data = json.loads(msg.data)
                    if data.get("id") == i:
                        if "error" in data:
                            raise RuntimeError(f"{method}: {data['error']}")
                        return data["result"]

            async def js(expr: str):
                r = await call("Runtime.evaluate", expression=expr, returnByValue=True,
                               awaitPromise=True)
                return r["result"].get("value")

            async def wait_for(expr: str, timeout: float = 60.0):
                t0 = time.monotonic()
                while not await js(expr):
                    if time.monotonic() - t0 > timeout:
                        raise TimeoutError(f"page never satisfied: {expr}")
                    await asyncio.sleep(0.2)

            await call("Emulation.setDeviceMetricsOverride", width=900, height=1000,
                       deviceScaleFactor=1, mobile=False)
            await call("Page.enable")
            await call("Page.navigate", url=url + "/")
            await wait_for("document.readyState === 'complete' && !!document.getElementById('file')")
            doc = await call("DOM.getDocument")
            node = await call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#file")
            await call("DOM.setFileInputFiles", files=[str(clip.resolve())],
                       nodeId=node["nodeId"])
            await js("document.querySelector('button[type=submit]').click()")
            await wait_for("!document.getElementById('result').hidden")
            seen = {"score": await js("document.getElementById('score').textContent"),
                    "level": await js("document.getElementById('level').textContent"),
                    "level_bars": await js("document.querySelectorAll('#levels .bar').length"),
                    "dimension_bars": await js("document.querySelectorAll('#dims .bar').length")}
            await js("document.getElementById('ask').click()")
            await wait_for("(t => t && t !== '…')(document.getElementById('answer').textContent)")
            seen["answer"] = await js("document.getElementById('answer').textContent")
            shot = await call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))
            return seen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clip", required=True)
    ap.add_argument("--out", default="docs/serve_page.png")
    ap.add_argument("--port", type=int, default=9223, help="Chromium's DevTools port")
    args = ap.parse_args(argv)
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or \
        shutil.which("google-chrome")
    if exe is None:
        sys.exit("chromium not found (Debian: apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="vqa-chromium-")
    proc = subprocess.Popen([exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                             f"--remote-debugging-port={args.port}", f"--user-data-dir={profile}",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen = asyncio.run(cdp(args.url.rstrip("/"), Path(args.clip), Path(args.out), args.port))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(seen, indent=2))
    ok = seen["level_bars"] == 5 and seen["dimension_bars"] >= 1 and "/ 5" in seen["score"] \
        and seen["answer"]
    print(("OK" if ok else "FAILED") + f": screenshot in {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
